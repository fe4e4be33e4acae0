"""Pieces the pattern graphs share: the agents per endpoint, the start and finish nodes, and the
run status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.consultant import CloudConsultantAgent
from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.solver import LocalSolverAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.errors import ConfigError
from hybridgraph.graphs.economics import Budget, economics
from hybridgraph.models.base import ModelClient
from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.state import Candidate, NodeName, RunState
from hybridgraph.zones import TrustZone

__all__ = ["Dispatch", "Parts", "after_route", "after_verify", "run_status"]


class Dispatch:
    """Runs the agent of the endpoint the last route decision chose. In a ``parallel`` decision,
    which names the cloud endpoint, the local side runs on the first local agent. With
    ``candidate``, the answer is written as a ``Candidate`` (parallel branches cannot both write
    ``answer``)."""

    def __init__(self, agents: dict[str, Any], *, candidate: bool = False) -> None:
        self.agents, self.candidate = agents, candidate

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Delegate to the chosen endpoint's agent."""
        name = str(state["route"]["endpoint"])
        name = name if name in self.agents else next(iter(self.agents))
        result: dict[str, Any] = await self.agents[name](state, config)
        if not self.candidate:
            return result
        candidate = Candidate(
            answer=result["answer"], zone=result["answer_zone"], endpoint=name, attempt=state.get("attempt", 0)
        )
        return {"candidates": [candidate], "uses": result["uses"]}


@dataclass
class Parts:
    """The agents of a pattern over ``clients``: local ones solve, non-local ones consult."""

    task: Task
    local: dict[str, LocalSolverAgent]
    cloud: dict[str, CloudConsultantAgent]
    redactor: RedactorAgent
    budget: Budget

    @classmethod
    def of(
        cls,
        task: Task,
        clients: Sequence[ModelClient],
        redactor: RedactorAgent | None = None,
        budget: Budget | None = None,
        samples: int = 1,
        **consult: Any,
    ) -> Parts:
        """Build the agents; a pattern needs at least one local endpoint. ``samples`` > 1 makes the
        local solver's confidence the agreement between that many answers."""
        local = {c.name: LocalSolverAgent(c, task, samples=samples) for c in clients if c.zone is TrustZone.LOCAL}
        cloud = {c.name: CloudConsultantAgent(c, task, **consult) for c in clients if c.zone is not TrustZone.LOCAL}
        if not local:
            raise ConfigError(
                "a pattern needs at least one local endpoint",
                fix="pass a local client, e.g. open_model('local-smollm2')",
            )
        return cls(task, local, cloud, redactor or RedactorAgent(), budget or Budget())

    async def start(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Redact and classify; the endpoints with a client are the reachable ones."""
        out = await self.redactor(state, config)
        if "reachable" not in state:
            out["reachable"] = [*self.local, *self.cloud]
        return out

    async def finish(self, state: RunState) -> dict[str, Any]:
        """The run's status and economics; a local answer is already the restored one."""
        counterfactual = next(iter(self.cloud.values())).client.endpoint if self.cloud else None
        out = {"status": run_status(state), "economics": economics(state.get("uses", []), counterfactual, self.budget)}
        if "restored" not in state and state.get("answer_zone") == TrustZone.LOCAL.value and "answer" in state:
            out["restored"] = state["answer"]
        return out


def run_status(state: RunState) -> str:
    """``accepted``, ``needs_human``, ``denied`` or ``unverified``."""
    target = state.get("route", {}).get("target")
    verdict = state.get("verification", {}).get("verdict")
    if target == Action.DENY.value:
        return "denied"
    if target == Action.HUMAN.value or verdict == Verdict.NEEDS_HUMAN.value:
        return "needs_human"
    return "accepted" if verdict == Verdict.ACCEPT.value else "unverified"


def after_verify(state: RunState) -> str:
    """After a verdict: escalate goes back to the policy, an accepted cloud answer to restore."""
    verdict = state["verification"]["verdict"]
    if verdict == Verdict.ESCALATE.value:
        return NodeName.ROUTE
    if verdict == Verdict.ACCEPT.value and state.get("answer_zone") != TrustZone.LOCAL.value:
        return NodeName.RESTORE
    return NodeName.FINISH


def after_route(state: RunState) -> str:
    """Where a decision leads: the local solver, the cloud consultant (``parallel`` included), or the end."""
    target = state["route"]["target"]
    if target == Action.LOCAL.value:
        return NodeName.SOLVE
    if target in (Action.CLOUD_REDACTED.value, Action.PARALLEL.value):
        return NodeName.CONSULT
    return NodeName.FINISH
