"""``LocalSolverAgent``: the edge-first step. A local model answers the task on the document.

The local zone may see the document as it is; retrieved passages (company rules) are added
when the state has them. The answer is JSON matching the task's schema, repaired or retried
once when malformed (``ask_json``), and left for the verifier to judge.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.asking import ask_json
from hybridgraph.agents.tasks import Task
from hybridgraph.errors import ConfigError
from hybridgraph.models.base import ChatRequest, Message, ModelClient
from hybridgraph.state import NodeName, RunState
from hybridgraph.textinput import check_text
from hybridgraph.zones import TrustZone

__all__ = ["LocalSolverAgent"]


class LocalSolverAgent:
    """Answers ``task`` with a local-zone model."""

    def __init__(self, client: ModelClient, task: Task, *, max_tokens: int = 256, max_chars: int = 6000) -> None:
        if client.zone is not TrustZone.LOCAL:
            raise ConfigError(
                f"the local solver got endpoint '{client.name}' in the {client.zone.value} zone",
                fix="give it a local endpoint; non-local models belong to the CloudConsultantAgent",
            )
        self.client, self.task, self.max_tokens, self.max_chars = client, task, max_tokens, max_chars

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The solve node: reads ``document`` (and ``passages``), writes ``answer`` and its use."""
        text = check_text(state.get("document", ""), "the document")[: self.max_chars]
        rules = "\n".join(f"- {p['text'][:400]}" for p in state.get("passages", [])[:3])
        prompt = self.task.prompt(text) + (f"\n\nCompany rules:\n{rules}" if rules else "")
        if state.get("criteria"):  # split reasoning: how to decide, from the cloud, without the data
            prompt += f"\n\nReview criteria:\n{state['criteria']}"
        request = ChatRequest(
            messages=(Message(role="system", content=self.task.system), Message(role="user", content=prompt)),
            max_tokens=self.max_tokens,
            json_schema=self.task.schema,
        )
        answer = await ask_json(self.client, request, self.task.schema, NodeName.SOLVE.value)
        return {
            "answer": json.dumps(answer.value) if answer.value is not None else answer.text,
            "answer_zone": TrustZone.LOCAL.value,
            "uses": answer.uses,
            "confidence": None,
        }
