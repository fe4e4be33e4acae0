"""The cascade pattern: edge first, cloud as the fallback, a policy node before every model step.

    redact → route → solve_local | consult_cloud | finish
    solve_local | consult_cloud → verify → finish (accepted) | route (escalate) | restore → finish

The policy decides each step from the run's features (sensitivity, the verifier's verdict,
confidence, attempt, budget, reachability). ``parallel`` decisions run on the cloud endpoint
here (the parallel pattern runs both); ``human`` and ``deny`` end the run with that status.
Endpoints the policy names but no client serves count as unreachable, so the policy's
reachability guard degrades them instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from hybridgraph.agents.consultant import CloudConsultantAgent
from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.solver import LocalSolverAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.agents.verifier import VerifierAgent
from hybridgraph.errors import ConfigError
from hybridgraph.graphs.economics import Budget, economics
from hybridgraph.graphs.routing import RouteNode
from hybridgraph.models.base import ModelClient
from hybridgraph.policies import RoutingPolicy
from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.state import NodeName, RunState
from hybridgraph.telemetry.spans import TracedNode
from hybridgraph.zones import TrustZone

__all__ = ["Dispatch", "cascade"]


class Dispatch:
    """Runs the agent of the endpoint the last route decision chose."""

    def __init__(self, agents: dict[str, Any]) -> None:
        self.agents = agents

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Delegate to the chosen endpoint's agent."""
        result: dict[str, Any] = await self.agents[str(state["route"]["endpoint"])](state, config)
        return result


def cascade(
    task: Task,
    clients: Sequence[ModelClient],
    policy: RoutingPolicy,
    *,
    redactor: RedactorAgent | None = None,
    verifier: VerifierAgent | None = None,
    budget: Budget | None = None,
    checkpointer: Any = None,
) -> Any:
    """A compiled cascade graph over ``clients`` (local ones solve, non-local ones consult)."""
    local = {c.name: LocalSolverAgent(c, task) for c in clients if c.zone is TrustZone.LOCAL}
    cloud = {c.name: CloudConsultantAgent(c, task) for c in clients if c.zone is not TrustZone.LOCAL}
    if not local:
        raise ConfigError(
            "the cascade needs at least one local endpoint", fix="pass a local client, e.g. open_model('local-smollm2')"
        )
    redactor = redactor or RedactorAgent()
    budget = budget or Budget()
    counterfactual = next(iter(cloud.values())).client.endpoint if cloud else None

    async def start(state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        out = await redactor(state, config)
        if "reachable" not in state:
            out["reachable"] = [*local, *cloud]
        return out

    async def finish(state: RunState) -> dict[str, Any]:
        out = {"status": run_status(state), "economics": economics(state.get("uses", []), counterfactual, budget)}
        if "restored" not in state and state.get("answer_zone") == TrustZone.LOCAL.value and "answer" in state:
            out["restored"] = state["answer"]  # a local answer holds the real values already
        return out

    graph = StateGraph(RunState)
    graph.add_node(NodeName.REDACT, TracedNode(NodeName.REDACT, start))
    graph.add_node(NodeName.ROUTE, RouteNode(policy, task, budget))
    graph.add_node(NodeName.SOLVE, TracedNode(NodeName.SOLVE, Dispatch(local)))
    graph.add_node(NodeName.CONSULT, TracedNode(NodeName.CONSULT, Dispatch(cloud)))
    graph.add_node(NodeName.VERIFY, TracedNode(NodeName.VERIFY, verifier or VerifierAgent(task)))
    graph.add_node(NodeName.RESTORE, TracedNode(NodeName.RESTORE, redactor.restore))
    graph.add_node(NodeName.FINISH, finish)
    graph.add_edge(START, NodeName.REDACT)
    graph.add_edge(NodeName.REDACT, NodeName.ROUTE)
    graph.add_conditional_edges(NodeName.ROUTE, _after_route, [NodeName.SOLVE, NodeName.CONSULT, NodeName.FINISH])
    graph.add_edge(NodeName.SOLVE, NodeName.VERIFY)
    graph.add_edge(NodeName.CONSULT, NodeName.VERIFY)
    graph.add_conditional_edges(NodeName.VERIFY, _after_verify, [NodeName.ROUTE, NodeName.RESTORE, NodeName.FINISH])
    graph.add_edge(NodeName.RESTORE, NodeName.FINISH)
    graph.add_edge(NodeName.FINISH, END)
    return graph.compile(checkpointer=checkpointer, name="cascade")


def _after_route(state: RunState) -> str:
    target = state["route"]["target"]
    if target == Action.LOCAL.value:
        return NodeName.SOLVE
    if target in (Action.CLOUD_REDACTED.value, Action.PARALLEL.value):
        return NodeName.CONSULT
    return NodeName.FINISH


def _after_verify(state: RunState) -> str:
    verdict = state["verification"]["verdict"]
    if verdict == Verdict.ESCALATE.value:
        return NodeName.ROUTE
    if verdict == Verdict.ACCEPT.value and state.get("answer_zone") != TrustZone.LOCAL.value:
        return NodeName.RESTORE
    return NodeName.FINISH


def run_status(state: RunState) -> str:
    """``accepted``, ``needs_human``, ``denied`` or ``unverified``."""
    target = state.get("route", {}).get("target")
    verdict = state.get("verification", {}).get("verdict")
    if target == Action.DENY.value:
        return "denied"
    if target == Action.HUMAN.value or verdict == Verdict.NEEDS_HUMAN.value:
        return "needs_human"
    return "accepted" if verdict == Verdict.ACCEPT.value else "unverified"
