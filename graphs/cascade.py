"""The cascade pattern: edge first, cloud as the fallback, a policy node before every model step.

    redact → route → solve_local | consult_cloud | finish
    solve_local | consult_cloud → verify → finish (accepted) | route (escalate) | restore → finish

The policy decides each step from the run's features (sensitivity, the verifier's verdict,
confidence, attempt, budget, reachability). ``parallel`` decisions run on the cloud endpoint
here (the parallel pattern runs both); ``human`` goes to the ``HumanGate`` (a pause for a person
when the graph has a checkpointer), and ``deny`` ends the run.
Endpoints the policy names but no client serves count as unreachable, so the policy's
reachability guard degrades them instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.tasks import Task
from hybridgraph.agents.verifier import VerifierAgent
from hybridgraph.graphs.economics import Budget
from hybridgraph.graphs.parts import Parts
from hybridgraph.models.base import ModelClient
from hybridgraph.policies import RoutingPolicy
from hybridgraph.state import NodeName

__all__ = ["cascade"]


def cascade(
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
    """A compiled cascade graph over ``clients`` (local ones solve, non-local ones consult)."""
    parts = Parts.of(task, clients, redactor, budget, samples=samples)
    graph = parts.graph(pause=checkpointer not in (None, False))
    graph.add_edge(NodeName.REDACT, NodeName.ROUTE)
    parts.verified_steps(graph, verifier or VerifierAgent(task), policy)
    return graph.compile(checkpointer=checkpointer, name="cascade")
