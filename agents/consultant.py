"""``CloudConsultantAgent``: the escalation step, on a non-local model, with selective disclosure.

It never sees the document. It gets the few pseudonymised excerpts of ``redacted`` that the
task is about (ranked by BM25 against the task's query), and its client must be behind the
egress guard, which re-scans the exact payload before it leaves. The answer keeps the
placeholders; the redactor's restore node puts the real values back, locally.

Its ``criteria`` node is the split-reasoning mode: it asks the cloud how to decide (a short
checklist for the task) and sends no document data at all; the local solver then applies the
criteria to the document.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.asking import ask_json, use_of
from hybridgraph.agents.tasks import Task
from hybridgraph.errors import ConfigError, InputError
from hybridgraph.models.base import ChatRequest, Message, ModelClient
from hybridgraph.models.egress import EgressGuard
from hybridgraph.state import NodeName, RunState
from hybridgraph.tools.excerpts import select_excerpts
from hybridgraph.zones import TrustZone

__all__ = ["CRITERIA_PROMPT", "CloudConsultantAgent", "select_excerpts"]


class CloudConsultantAgent:
    """Answers ``task`` on a non-local model from pseudonymised excerpts only."""

    def __init__(
        self, client: ModelClient, task: Task, *, excerpts: int = 3, excerpt_chars: int = 900, max_tokens: int = 256
    ) -> None:
        if client.zone is not TrustZone.LOCAL and client.layer(EgressGuard) is None:
            raise ConfigError(
                f"endpoint '{client.name}' ({client.zone.value} zone) is not behind the egress guard",
                fix="open it with hybridgraph.open_model(...), which always adds the guard to non-local endpoints",
            )
        self.client, self.task = client, task
        self.excerpts, self.excerpt_chars, self.max_tokens = excerpts, excerpt_chars, max_tokens

    async def criteria(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The criteria node (split reasoning): writes ``criteria``; no document data leaves."""
        return await criteria(self, state)

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The consult node: reads ``redacted``, writes ``answer`` (with placeholders) and its use."""
        redacted = state.get("redacted")
        if not redacted:
            raise InputError("the cloud consultant has no redacted text", fix="run the redact node before it")
        chosen = select_excerpts(redacted, self.task.query, self.excerpts, self.excerpt_chars)
        label = "Excerpts (names and identifiers are replaced by placeholders such as <ORG_1>; keep them as they are)"
        request = ChatRequest(
            messages=(
                Message(role="system", content=self.task.system),
                Message(role="user", content=self.task.prompt("\n[...]\n".join(chosen), label)),
            ),
            max_tokens=self.max_tokens,
            json_schema=self.task.schema,
        )
        answer = await ask_json(self.client, request, self.task.schema, NodeName.CONSULT.value)
        return {
            "answer": json.dumps(answer.value) if answer.value is not None else answer.text,
            "answer_zone": self.client.zone.value,
            "uses": answer.uses,
            "confidence": None,
        }


CRITERIA_PROMPT = (
    "a reviewer must answer this about a contract they can see and you cannot: {instruction}\n"
    "list, in at most eight short numbered lines, what the reviewer should look for and how to decide. "
    "do not ask for the contract."
)


async def criteria(agent: CloudConsultantAgent, state: RunState) -> dict[str, Any]:
    """Split reasoning: ask the cloud how to decide, sending no document data at all."""
    request = ChatRequest(
        messages=(
            Message(role="system", content="You help a contract reviewer. Answer briefly."),
            Message(role="user", content=CRITERIA_PROMPT.format(instruction=agent.task.instruction)),
        ),
        max_tokens=agent.max_tokens,
    )
    completion = await agent.client.complete(request)
    return {"criteria": completion.text.strip()[:1500], "uses": [use_of(completion, NodeName.CRITERIA.value)]}
