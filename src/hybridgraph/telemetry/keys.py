"""Every span name and attribute key hybridgraph writes, in one place (DESIGN.md §5).

The names follow the OpenTelemetry GenAI semantic conventions (v1.41); ``hybridgraph.*``
keys carry what the conventions have no name for (zones, routing, cost).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Attr", "Op", "span_name"]


class Op(StrEnum):
    """``gen_ai.operation.name`` of each kind of hop; also the first word of its span name."""

    WORKFLOW = "invoke_workflow"
    AGENT = "invoke_agent"
    ROUTE = "route"
    CHAT = "chat"
    TOOL = "execute_tool"


class Attr:
    """Attribute keys."""

    OPERATION = "gen_ai.operation.name"
    CONVERSATION_ID = "gen_ai.conversation.id"
    AGENT_NAME = "gen_ai.agent.name"
    TOOL_NAME = "gen_ai.tool.name"
    PROVIDER = "gen_ai.provider.name"
    REQUEST_MODEL = "gen_ai.request.model"
    REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
    REQUEST_TEMPERATURE = "gen_ai.request.temperature"
    RESPONSE_MODEL = "gen_ai.response.model"
    FINISH_REASONS = "gen_ai.response.finish_reasons"
    INPUT_TOKENS = "gen_ai.usage.input_tokens"
    OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
    INPUT_MESSAGES = "gen_ai.input.messages"
    OUTPUT_MESSAGES = "gen_ai.output.messages"
    SERVER_ADDRESS = "server.address"
    SERVER_PORT = "server.port"
    ERROR_TYPE = "error.type"

    PIPELINE = "hybridgraph.pipeline"
    STEP = "hybridgraph.step"
    ENDPOINT = "hybridgraph.endpoint"
    ZONE = "hybridgraph.zone"
    COST_USD = "hybridgraph.cost_usd"
    STREAMED = "hybridgraph.streamed"
    ROUTE_TARGET = "hybridgraph.route.target"
    ROUTE_MODEL = "hybridgraph.route.model"
    ROUTE_ZONE = "hybridgraph.route.zone"
    ROUTE_RULE = "hybridgraph.route.rule"
    ROUTE_REASON = "hybridgraph.route.reason"
    ROUTE_SKIPPED = "hybridgraph.route.skipped"  # the rule whose escalation a guard stopped
    SEARCH_MODE = "hybridgraph.search.mode"
    SEARCH_HITS = "hybridgraph.search.hits"
    PII_FINDINGS = "hybridgraph.pii.findings"
    EGRESS = "hybridgraph.egress.verdict"
    EGRESS_BLOCKED = "hybridgraph.egress.blocked"


def span_name(op: Op, subject: str) -> str:
    """``"<operation> <subject>"``, e.g. ``chat qwen2.5:1.5b`` or ``invoke_agent redact``."""
    return f"{op.value} {subject}" if subject else op.value
