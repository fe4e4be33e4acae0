"""Pieces the pattern graphs share: the agents per endpoint, the start and finish nodes, and the
run status."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Optional, get_origin, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from opentelemetry import trace

from hybridgraph.agents.consultant import CloudConsultantAgent
from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.solver import LocalSolverAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.errors import (
    CircuitOpenError,
    ConfigError,
    CredentialsError,
    EgressBlocked,
    ModelError,
    ModelNotPulledError,
)
from hybridgraph.graphs.economics import Budget, economics
from hybridgraph.graphs.routing import RouteNode, skipped_escalations
from hybridgraph.models.base import ModelClient
from hybridgraph.models.resilient import transient
from hybridgraph.policies import RoutingPolicy
from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.state import Candidate, Fault, NodeName, RunState, Verification
from hybridgraph.telemetry.spans import NodeCall, TracedNode, mark_error
from hybridgraph.zones import TrustZone

#: Where a route decision can lead, and where a verdict can (see ``after_route``, ``after_verify``).
ROUTE_TARGETS: list[str] = [NodeName.SOLVE, NodeName.CONSULT, NodeName.HUMAN, NodeName.QUEUE, NodeName.FINISH]
VERIFY_TARGETS: list[str] = [NodeName.ROUTE, NodeName.RESTORE, NodeName.FINISH]
CALL_TARGETS: list[str] = [NodeName.VERIFY, NodeName.ROUTE]

__all__ = [
    "CALL_TARGETS",
    "ROUTE_TARGETS",
    "VERIFY_TARGETS",
    "Dispatch",
    "HumanGate",
    "OfflineQueue",
    "Parts",
    "after_call",
    "after_human",
    "after_queue",
    "after_route",
    "after_verify",
    "approval_request",
    "fault_update",
    "run_status",
]


class Dispatch:
    """Runs the agent of the endpoint the last route decision chose. In a ``parallel`` decision,
    which names the cloud endpoint, the local side runs on the first local agent. With
    ``candidate``, the answer is written as a ``Candidate`` (parallel branches cannot both write
    ``answer``). ``method`` names another node of the agent to run (``"criteria"``)."""

    def __init__(self, agents: dict[str, Any], *, candidate: bool = False, method: str = "__call__") -> None:
        self.agents, self.candidate, self.method = agents, candidate, method

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Delegate to the chosen endpoint's agent. An endpoint that fails (after its retries and
        circuit breaker), or a payload the egress guard stops, becomes a ``fault``: the endpoint
        counts as unreachable from then on, and the policy decides again."""
        name = str(state["route"]["endpoint"])
        name = name if name in self.agents else next(iter(self.agents))
        try:
            result: dict[str, Any] = await getattr(self.agents[name], self.method)(state, config)
        except (ModelError, EgressBlocked) as exc:
            update = fault_update(state, name, exc)
            return (
                {"faults": update["faults"]} if self.candidate else update
            )  # parallel branches: the cross-check decides
        if not self.candidate:
            return {**result, "fault": None}
        candidate = Candidate(
            answer=result["answer"], zone=result["answer_zone"], endpoint=name, attempt=state.get("attempt", 0)
        )
        return {"candidates": [candidate], "uses": result["uses"]}


def fault_update(state: RunState, endpoint: str, exc: ModelError | EgressBlocked) -> dict[str, Any]:
    """The state update for a failed model step: the fault (type and message, no content). An
    endpoint that is out of use drops out of ``reachable``; a request that failed on a working
    endpoint (too long for its context, no valid JSON, a client error) counts as a checked
    answer that needs escalation, so the policy moves on and attempts stay bounded."""
    outage = isinstance(exc, EgressBlocked | CircuitOpenError | ModelNotPulledError | CredentialsError) or transient(
        exc
    )
    route = state.get("route", {})
    fault = Fault(
        step=str(route.get("step") or "answer"),
        endpoint=endpoint,
        error=type(exc).__name__,
        message=exc.message,
        attempt=state.get("attempt", 0),
        outage=outage,
    )
    mark_error(trace.get_current_span(), exc)
    if outage:
        return {
            "fault": fault,
            "faults": [fault],
            "reachable": [e for e in state.get("reachable", []) if e != endpoint],
        }
    verification = Verification(verdict=Verdict.ESCALATE.value, score=0.0, reasons=[f"{fault['error']}: {exc.message}"])
    return {"fault": fault, "faults": [fault], "verification": verification, "checked": state.get("checked", 0) + 1}


#: An edge's decision: the next node (or nodes) from the state.
Decision = Callable[[Any], "str | list[str]"]


def routed(
    graph: StateGraph[Any], name: str, node: Callable[..., Any], decide: Decision, targets: Sequence[str]
) -> None:
    """Add ``node`` as ``name``, followed by ``decide``'s choice among ``targets``."""
    graph.add_node(name, Routed(node, decide), destinations=tuple(dict.fromkeys(targets)))


class Routed:
    """A node that also takes the decision of the edge after it: it runs ``node`` and returns a
    LangGraph ``Command`` that carries the update and ``goto``, ``decide`` applied to the state
    as LangGraph will have it after the update (list reducers appended, other channels replaced).

    A conditional edge would decide the same, but LangGraph reads its state through a fresh copy
    of every channel of the graph (about 40 here) per decision; this costs one dict merge.
    """

    def __init__(self, node: Callable[..., Any], decide: Decision) -> None:
        self._call, self.decide = NodeCall(node), decide

    async def __call__(self, state: Any, config: Optional[RunnableConfig] = None) -> Command[Any]:  # noqa: UP045
        """Run the node, then decide where the run goes next."""
        update = await self._call(state, config) or {}
        return Command(update=update, goto=self.decide(after_update(state, update)))


def after_update(state: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``update`` applied the way the run state's channels apply it."""
    merged = dict(state)
    for key, value in update.items():
        reducer = _REDUCERS.get(key)
        merged[key] = reducer(state[key], value) if reducer is not None and key in state else value
    return merged


def _reducers() -> dict[str, Callable[[Any, Any], Any]]:
    hints = get_type_hints(RunState, include_extras=True)
    return {
        k: h.__metadata__[0] for k, h in hints.items() if get_origin(h) is Annotated and callable(h.__metadata__[0])
    }


_REDUCERS = _reducers()


def after_call(state: RunState) -> str:
    """After a model step: to the verifier, or back to the policy when the step failed."""
    return NodeName.ROUTE if state.get("fault") else NodeName.VERIFY


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

    def graph(self, pause: bool) -> StateGraph[RunState]:
        """A graph with the nodes and edges every pattern shares: redact (from START), restore,
        the human gate (a pause when ``pause``) and finish (to END). Each pattern adds its own
        route node (``verified_steps``, or the parallel pattern's fan-out)."""
        graph = StateGraph(RunState)
        graph.add_node(NodeName.REDACT, TracedNode(NodeName.REDACT, self.start))
        graph.add_node(NodeName.RESTORE, TracedNode(NodeName.RESTORE, self.redactor.restore))
        routed(graph, NodeName.HUMAN, HumanGate(pause=pause), after_human, [NodeName.ROUTE, NodeName.FINISH])
        queue = OfflineQueue(pause=pause, endpoints=[*self.local, *self.cloud])
        routed(graph, NodeName.QUEUE, queue, after_queue, [NodeName.ROUTE, NodeName.FINISH])
        graph.add_node(NodeName.FINISH, self.finish)
        graph.add_edge(START, NodeName.REDACT)
        graph.add_edge(NodeName.RESTORE, NodeName.FINISH)
        graph.add_edge(NodeName.FINISH, END)
        return graph

    def verified_steps(self, graph: StateGraph[RunState], verifier: Any, policy: RoutingPolicy) -> None:
        """Add the model steps of a verified pattern: route → solve | consult → verify, where a
        failed step goes back to the policy and a verdict goes on (``after_verify``)."""
        route = RouteNode(policy, self.task, self.budget)
        routed(graph, NodeName.ROUTE, route, after_route, ROUTE_TARGETS)
        routed(graph, NodeName.SOLVE, TracedNode(NodeName.SOLVE, Dispatch(self.local)), after_call, CALL_TARGETS)
        routed(graph, NodeName.CONSULT, TracedNode(NodeName.CONSULT, Dispatch(self.cloud)), after_call, CALL_TARGETS)
        verified = functools.partial(after_verify, policy=route)
        routed(graph, NodeName.VERIFY, TracedNode(NodeName.VERIFY, verifier), verified, VERIFY_TARGETS)

    async def start(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Redact and classify; the endpoints with a client are the reachable ones."""
        out = await self.redactor(state, config)
        if "reachable" not in state:
            out["reachable"] = [*self.local, *self.cloud]
        return out

    async def finish(self, state: RunState) -> dict[str, Any]:
        """The run's status, economics and skipped escalations; a local answer is already the
        restored one."""
        counterfactual = next(iter(self.cloud.values())).client.endpoint if self.cloud else None
        out = {
            "status": run_status(state),
            "economics": economics(state.get("uses", []), counterfactual, self.budget),
            "skipped_escalations": skipped_escalations(state.get("routes", [])),
        }
        if "restored" not in state and state.get("answer_zone") == TrustZone.LOCAL.value and "answer" in state:
            out["restored"] = state["answer"]
        return out


class HumanGate:
    """Where ``human`` decisions go. With a checkpointer the run pauses (LangGraph ``interrupt``)
    with a request that names the step, rule, reason, endpoint, zone, sensitivity and entity
    counts, never content. The person resumes it with ``Command(resume={...})``:
    ``{"approved": true}`` asks the policy again with approval given, ``{"answer": "..."}``
    supplies the answer, anything else rejects the step. Without a checkpointer there is no
    way to resume, so the run ends with status ``needs_human``."""

    def __init__(self, pause: bool) -> None:
        self.pause = pause

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Ask a person (or end the run for one)."""
        if not self.pause:
            return {}
        reply = interrupt(approval_request(state))
        reply = reply if isinstance(reply, dict) else {}
        if isinstance(reply.get("answer"), str) and reply["answer"].strip():
            verification = Verification(verdict=Verdict.ACCEPT.value, score=1.0, reasons=["a person answered"])
            return {
                "answer": reply["answer"],
                "answer_zone": TrustZone.LOCAL.value,
                "verification": verification,
                "human": {"answered": True},
            }
        comment = str(reply.get("comment") or "")[:500]
        if reply.get("approved") is True:
            return {"approved": True, "human": {"approved": True, "comment": comment}}
        return {"human": {"rejected": True, "comment": comment}}


class OfflineQueue:
    """Where ``queue`` decisions go: the escalation waits, pseudonymised, in the run's checkpoint
    (a LangGraph ``interrupt``) until ``hybridgraph resume`` finds the cloud reachable again; the
    run then goes back to the policy with every endpoint reachable. Without a checkpointer
    nothing can wait, so the answer in hand is kept for review."""

    def __init__(self, pause: bool, endpoints: list[str]) -> None:
        self.pause, self.endpoints = pause, endpoints

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Park the escalation (or keep the answer when it cannot wait)."""
        if not self.pause:
            return {"human": {"kept": True}}
        request = {**approval_request(state), "kind": "queued", "waits_for": state["route"].get("endpoint")}
        reply = interrupt(request)
        if isinstance(reply, dict) and reply.get("retry") is True:
            return {"reachable": list(self.endpoints), "human": {"retry": True}, "fault": None}
        return {"human": {"kept": True}}


def approval_request(state: RunState) -> dict[str, Any]:
    """What a person is asked to decide, as plain JSON without any content."""
    route = state.get("route", {})
    verification = state.get("verification")
    return {
        "kind": "approval" if route.get("rule") and not state.get("approved") else "review",
        "run_id": state.get("run_id", ""),
        "rule": route.get("rule"),
        "reason": route.get("reason"),
        "attempt": route.get("attempt", 0),
        "sensitivity": str(state.get("sensitivity", "")),
        "entity_counts": dict(state.get("entity_counts", {})),
        "verdict": verification["verdict"] if verification else None,
        "checks_failed": len(verification["reasons"]) if verification else 0,
        "resume_with": {"approved": "true or false", "answer": "optional: the answer itself"},
    }


def after_human(state: RunState) -> str:
    """An approval goes back to the policy; an answer, a rejection or no person ends the run."""
    return NodeName.ROUTE if state.get("human", {}).get("approved") and state.get("approved") else NodeName.FINISH


def after_queue(state: RunState) -> str:
    """A queued escalation that may go now goes back to the policy; a kept answer ends the run."""
    return NodeName.ROUTE if state.get("human", {}).get("retry") else NodeName.FINISH


def run_status(state: RunState) -> str:
    """``accepted``, ``rejected``, ``needs_human``, ``needs_review`` (an answer kept because the
    escalation could not be made, or any escalation of the run a guard skipped: such a run is
    never ``accepted``), ``denied``, ``failed`` (no endpoint could do the step) or ``unverified``."""
    target = state.get("route", {}).get("target")
    verdict = state.get("verification", {}).get("verdict")
    if state.get("human", {}).get("rejected"):
        return "rejected"
    if state.get("human", {}).get("answered"):
        return "accepted"
    if target == Action.KEEP.value or state.get("human", {}).get("kept"):
        return "needs_review"
    if target == Action.DENY.value:
        return "failed" if str(state["route"].get("rule", "")).startswith("guard:") else "denied"
    if target == Action.HUMAN.value or verdict == Verdict.NEEDS_HUMAN.value:
        return "needs_human"
    if any(r.get("skipped") for r in state.get("routes", [])):
        return "needs_review"
    return "accepted" if verdict == Verdict.ACCEPT.value else "unverified"


def after_verify(state: RunState, policy: RouteNode | None = None) -> str:
    """After a verdict: escalate and needs_human go back to the policy, an accepted cloud answer
    to restore. An accepted local answer goes back to the policy too when, asked about it
    (``policy``), it would send the step out: confidence-driven escalation, e.g. a
    ``confidence_below`` or ``token_confidence_below`` rule."""
    verdict = state["verification"]["verdict"]
    if verdict in (Verdict.ESCALATE.value, Verdict.NEEDS_HUMAN.value):
        return NodeName.ROUTE
    if verdict == Verdict.ACCEPT.value and state.get("answer_zone") != TrustZone.LOCAL.value:
        return NodeName.RESTORE
    if policy is not None and verdict == Verdict.ACCEPT.value and policy.escalates(state):
        return NodeName.ROUTE
    return NodeName.FINISH


def after_route(state: RunState) -> str:
    """Where a decision leads: the local solver, the cloud consultant (``parallel`` included), or the end."""
    target = str(state["route"]["target"])
    if target == Action.LOCAL.value:
        return NodeName.SOLVE
    if target in (Action.CLOUD_REDACTED.value, Action.PARALLEL.value):
        return NodeName.CONSULT
    return {Action.HUMAN.value: NodeName.HUMAN, Action.QUEUE.value: NodeName.QUEUE}.get(target, NodeName.FINISH)
