"""``LocalSolverAgent``: the edge-first step. A local model answers the task on the document.

The local zone may see the document as it is. A document longer than ``max_chars`` is cut down
to the three pieces the task is about (BM25, as for the cloud consultant), so a small model's
context holds the clause rather than the preamble. Retrieved passages (company rules) are added
when the state has them. The answer is JSON matching the task's schema, repaired or retried
once when malformed (``ask_json``), and left for the verifier to judge. When the policy sends a
rejected local answer back to a local model, the prompt says what the verifier found in it (a
measured rule breach, a quote that is not in the text), so the retry is not the same question.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.asking import ask_json
from hybridgraph.agents.tasks import Task
from hybridgraph.agents.verifier import measured_breaches
from hybridgraph.errors import ConfigError
from hybridgraph.models.base import ChatRequest, Message, ModelClient
from hybridgraph.state import NodeName, RunState
from hybridgraph.textinput import check_text
from hybridgraph.tools.excerpts import select_excerpts
from hybridgraph.zones import TrustZone

__all__ = ["LocalSolverAgent"]


class LocalSolverAgent:
    """Answers ``task`` with a local-zone model."""

    def __init__(
        self, client: ModelClient, task: Task, *, max_tokens: int = 256, max_chars: int = 3600, samples: int = 1
    ) -> None:
        """``samples`` > 1 asks that many times (the first at temperature 0, the others at 0.7 with
        their own seeds); the share of samples that agree with the first is the answer's confidence.
        The answer's ``token_confidence`` is the geometric mean probability of its tokens, where the
        backend gives logprobs (llama.cpp embedded, Ollama 0.12.11+); policies test it with
        ``token_confidence_below``."""
        if client.zone is not TrustZone.LOCAL:
            raise ConfigError(
                f"the local solver got endpoint '{client.name}' in the {client.zone.value} zone",
                fix="give it a local endpoint; non-local models belong to the CloudConsultantAgent",
            )
        self.client, self.task, self.max_tokens, self.max_chars = client, task, max_tokens, max_chars
        self.samples = max(1, samples)

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The solve node: reads ``document`` (and ``passages``), writes ``answer`` and its use."""
        text = check_text(state.get("document", ""), "the document")
        if len(text) > self.max_chars:  # a long document: only the pieces the task is about
            pieces = select_excerpts(text, self.task.query, 3, self.max_chars // 3)
            text = "\n[...]\n".join(pieces) if pieces else text[: self.max_chars]
        rules = "\n".join(f"- {p['text'][:400]}" for p in state.get("passages", [])[:3])
        prompt = self.task.prompt(text) + (f"\n\nCompany rules:\n{rules}" if rules else "")
        if state.get("criteria"):  # split reasoning: how to decide, from the cloud, without the data
            prompt += f"\n\nReview criteria:\n{state['criteria']}"
        if found := _found_in_last_answer(state):  # a second try: what the verifier found (local only)
            prompt += "\n\nA check of your previous answer found:\n" + "\n".join(f"- {f}" for f in found)
        request = ChatRequest(
            messages=(Message(role="system", content=self.task.system), Message(role="user", content=prompt)),
            max_tokens=self.max_tokens,
            json_schema=self.task.schema,
            logprobs=True,  # for token_confidence, where the backend gives them
        )
        answer = await ask_json(self.client, request, self.task.schema, NodeName.SOLVE.value)
        uses, confidence = list(answer.uses), None
        if self.samples > 1 and answer.value is not None:
            others = [
                await ask_json(
                    self.client,
                    request.model_copy(update={"temperature": 0.7, "seed": seed}),
                    self.task.schema,
                    NodeName.SOLVE.value,
                )
                for seed in range(1, self.samples)
            ]
            uses += [u for other in others for u in other.uses]
            agree = sum(1 for other in others if _key(other.value) == _key(answer.value))
            confidence = (1 + agree) / self.samples
        return {
            "answer": json.dumps(answer.value) if answer.value is not None else answer.text,
            "answer_zone": TrustZone.LOCAL.value,
            "uses": uses,
            "confidence": confidence,
            "token_confidence": answer.token_confidence,
        }


def _found_in_last_answer(state: RunState) -> list[str]:
    """The verifier's findings on the previous local answer of this run (a measured rule breach,
    a quote not in the text), for a local retry; none on a first try or after an accepted answer."""
    last = state.get("verification")
    if (
        not last
        or last["verdict"] == "accept"
        or state.get("answer_zone", TrustZone.LOCAL.value) != TrustZone.LOCAL.value
    ):
        return []
    located = [r for r in last["reasons"] if r.startswith(("grounding: ", "consistency: "))]
    return measured_breaches(last["reasons"]) + located


def _key(value: Any) -> str:
    """What two answers must share to agree: every field, quotes compared without case and spacing."""
    if not isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return json.dumps({k: " ".join(str(v).lower().split()) for k, v in value.items()}, sort_keys=True)
