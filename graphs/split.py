"""The split pattern: the work is split so that the cloud reasons without the data.

    redact → plan → criteria (cloud: how to decide, no document data) → route
    route → solve_local → verify → finish | route (escalate)
          → consult_cloud (pseudonymised excerpts) → verify → restore (values back in, locally) → finish

``plan`` asks the policy about a step of task kind ``criteria`` whose sensitivity is ``public``
(only the task's wording leaves); policies allow it with a rule on ``task: [criteria]``. When
the criteria's endpoint fails, ``plan`` decides again: the guard skips the escalation, and the
run cannot end ``accepted``.

The first cloud step sends only the task: the cloud returns review criteria, and the local
model applies them to the document. If that answer still fails the verifier, the next cloud
step reasons on pseudonymised excerpts and the local side re-inserts the real values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.agents.verifier import VerifierAgent
from hybridgraph.graphs.economics import Budget
from hybridgraph.graphs.parts import Dispatch, Parts, routed
from hybridgraph.graphs.routing import CRITERIA, RouteNode
from hybridgraph.models.base import ModelClient
from hybridgraph.policies import RoutingPolicy
from hybridgraph.policies.spec import Action
from hybridgraph.state import NodeName, RunState
from hybridgraph.telemetry.spans import TracedNode

__all__ = ["split"]


def split(
    task: Task,
    clients: Sequence[ModelClient],
    policy: RoutingPolicy,
    *,
    redactor: RedactorAgent | None = None,
    verifier: VerifierAgent | None = None,
    budget: Budget | None = None,
    samples: int = 1,
    checkpointer: Any = None,
) -> Any:
    """A compiled split graph over ``clients``."""
    parts = Parts.of(task, clients, redactor, budget, samples=samples)
    graph = parts.graph(pause=checkpointer not in (None, False))
    plan = RouteNode(policy, task, parts.budget, step=CRITERIA, kind=CRITERIA)
    routed(graph, NodeName.PLAN, plan, _after_plan, [NodeName.CRITERIA, NodeName.ROUTE])
    criteria = TracedNode(NodeName.CRITERIA, Dispatch(parts.cloud, method="criteria"))
    routed(graph, NodeName.CRITERIA, criteria, _after_criteria, [NodeName.PLAN, NodeName.ROUTE])
    graph.add_edge(NodeName.REDACT, NodeName.PLAN)
    parts.verified_steps(graph, verifier or VerifierAgent(task), policy)
    return graph.compile(checkpointer=checkpointer, name="split")


def _after_plan(state: RunState) -> str:
    leaves = state["route"]["target"] in (Action.CLOUD_REDACTED.value, Action.PARALLEL.value)
    return NodeName.CRITERIA if leaves else NodeName.ROUTE


def _after_criteria(state: RunState) -> str:
    """Criteria in hand go on to the step; when their endpoint went out of use, the policy is
    asked again, so its guard records the skipped escalation."""
    fault = state.get("fault")
    return NodeName.PLAN if fault and fault["outage"] else NodeName.ROUTE
