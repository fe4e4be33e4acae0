"""The parallel pattern: local and cloud answer at the same time; the verifier cross-checks.

    redact → route → solve_local + consult_cloud (together, on ``parallel``) → cross_check
                   → solve_local | consult_cloud (alone, on ``local`` / ``cloud_redacted``)
    cross_check → finish | restore → finish | route (escalate)

``cross_check`` verifies every answer of the attempt against the text its model saw. An accepted
local answer wins (its values are real and nothing needs restoring); if both are accepted but
disagree on whether the clause is there, a person decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.agents.verifier import verify_answer
from hybridgraph.graphs.economics import Budget
from hybridgraph.graphs.parts import (
    ROUTE_TARGETS,
    VERIFY_TARGETS,
    Dispatch,
    Parts,
    after_route,
    after_verify,
    routed,
)
from hybridgraph.graphs.routing import RouteNode
from hybridgraph.models.base import ModelClient
from hybridgraph.policies import RoutingPolicy
from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.state import Candidate, NodeName, RunState, Verification
from hybridgraph.telemetry.spans import TracedNode
from hybridgraph.zones import TrustZone

__all__ = ["CrossCheck", "parallel"]


class CrossCheck:
    """Verifies the attempt's candidates and keeps the best one (see the module docstring)."""

    def __init__(self, task: Task) -> None:
        self.task = task

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Writes ``answer``, ``answer_zone``, ``verification`` and ``confidence``."""
        attempt = state.get("attempt", 0)
        current = [c for c in state.get("candidates", []) if c["attempt"] == attempt]
        failed = {f["endpoint"] for f in state.get("faults", []) if f["attempt"] == attempt and f["outage"]}
        if failed:  # the failed side counts as unreachable from now on
            state = {**state, "reachable": [e for e in state.get("reachable", []) if e not in failed]}
        if not current:
            verification = Verification(verdict=Verdict.ESCALATE.value, score=0.0, reasons=["no endpoint answered"])
            return {
                "verification": verification,
                "reachable": state["reachable"],
                "checked": state.get("checked", 0) + 1,
            }
        judged = [(c, verify_answer(self.task, c["answer"], self._source(state, c))) for c in current]
        judged.sort(key=lambda cv: (cv[1]["verdict"] == Verdict.ACCEPT.value, cv[0]["zone"] == "local", cv[1]["score"]))
        best, verification = judged[-1]
        accepted = [c for c, v in judged if v["verdict"] == Verdict.ACCEPT.value]
        if len(accepted) > 1 and len({_found(c) for c in accepted}) > 1:
            verification = Verification(
                verdict=Verdict.NEEDS_HUMAN.value,
                score=verification["score"],
                reasons=["cross-check: the answers disagree"],
            )
        out: dict[str, Any] = {
            "answer": best["answer"],
            "answer_zone": best["zone"],
            "verification": verification,
            "confidence": verification["score"],
            "checked": state.get("checked", 0) + 1,
        }
        if failed:  # one side did not answer: the answer is unchecked, so it is kept for review
            out["reachable"] = state["reachable"]
            if verification["verdict"] == Verdict.ACCEPT.value:
                out["human"] = {"kept": True}
        return out

    @staticmethod
    def _source(state: RunState, candidate: Candidate) -> str:
        return state.get("document", "") if candidate["zone"] == TrustZone.LOCAL.value else state.get("redacted", "")


def parallel(
    task: Task,
    clients: Sequence[ModelClient],
    policy: RoutingPolicy,
    *,
    redactor: RedactorAgent | None = None,
    budget: Budget | None = None,
    samples: int = 1,
    checkpointer: Any = None,
) -> Any:
    """A compiled parallel graph over ``clients``."""
    parts = Parts.of(task, clients, redactor, budget, samples=samples)
    graph = parts.graph(pause=checkpointer not in (None, False))
    graph.add_node(NodeName.SOLVE, TracedNode(NodeName.SOLVE, Dispatch(parts.local, candidate=True)))
    graph.add_node(NodeName.CONSULT, TracedNode(NodeName.CONSULT, Dispatch(parts.cloud, candidate=True)))
    routed(
        graph, NodeName.CROSS_CHECK, TracedNode(NodeName.CROSS_CHECK, CrossCheck(task)), after_verify, VERIFY_TARGETS
    )
    graph.add_edge(NodeName.REDACT, NodeName.ROUTE)
    routed(graph, NodeName.ROUTE, RouteNode(policy, task, parts.budget), _fan_out, ROUTE_TARGETS)
    graph.add_edge(NodeName.SOLVE, NodeName.CROSS_CHECK)
    graph.add_edge(NodeName.CONSULT, NodeName.CROSS_CHECK)
    return graph.compile(checkpointer=checkpointer, name="parallel")


def _fan_out(state: RunState) -> list[str]:
    if state["route"]["target"] == Action.PARALLEL.value:
        return [NodeName.SOLVE, NodeName.CONSULT]
    return [after_route(state)]


def _found(candidate: Candidate) -> object:
    import json

    try:
        value = json.loads(candidate["answer"])
    except json.JSONDecodeError:
        return None
    return value.get("found") if isinstance(value, dict) else None
