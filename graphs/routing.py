"""The policy node: before each model step, the run's features go to the routing policy.

``RouteNode`` reads the state (sensitivity, the last verdict and confidence, the attempt,
budgets left, reachable endpoints, approval), asks the ``RoutingPolicy``, records a ``route``
span with the decision, and writes it to ``route`` (and the ``routes`` history). A hard cap on
attempts guards against a policy that would loop.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.tasks import Task
from hybridgraph.graphs.economics import Budget
from hybridgraph.policies import RouteDecision, RoutingPolicy, StepFeatures
from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.state import RunState
from hybridgraph.telemetry.spans import record_route
from hybridgraph.zones import Sensitivity

__all__ = ["CRITERIA", "MAX_ATTEMPTS", "RouteNode", "decision_dict", "skipped_escalations"]

#: The task kind of a split-reasoning step: only the task's wording leaves, no document data.
CRITERIA = "criteria"
#: Model attempts per run at most, whatever the policy says.
MAX_ATTEMPTS = 4


class RouteNode:
    """The policy node of a pattern graph."""

    def __init__(
        self, policy: RoutingPolicy, task: Task, budget: Budget | None = None, step: str = "answer", *, kind: str = ""
    ) -> None:
        """``kind`` overrides the task kind the policy sees; ``"criteria"`` marks a step that sends
        no document data (its sensitivity is ``public``)."""
        self.policy, self.task, self.budget, self.step = policy, task, budget or Budget(), step
        self.kind = kind or task.kind

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Decide the next step's route."""
        attempt = state.get("checked", 0)  # answers checked so far; an approval is not an attempt
        if attempt >= MAX_ATTEMPTS:
            decision = RouteDecision(Action.HUMAN, None, None, "guard:max-attempts", f"{attempt} attempts made")
        else:
            decision = self.policy.decide(self.features(state, attempt))
        zone = decision.zone.value if decision.zone else ""
        record_route(
            self.step,
            decision.target.value,
            model=decision.endpoint or "",
            zone=zone,
            rule=decision.rule,
            reason=decision.reason,
            skipped=decision.skipped,
        )
        record = {**decision_dict(decision, attempt), "step": self.step}
        return {"route": record, "routes": [record], "attempt": attempt}

    def escalates(self, state: RunState) -> bool:
        """Whether the policy, asked now, would send the step out (to the cloud, or in parallel),
        or would have, had a guard not stopped it (a skipped escalation, which the route node
        then records)."""
        attempt = state.get("checked", 0)
        if attempt >= MAX_ATTEMPTS:
            return False
        decision = self.policy.decide(self.features(state, attempt))
        return decision.target.leaves or bool(decision.skipped)

    def features(self, state: RunState, attempt: int) -> StepFeatures:
        """What the policy sees of the next step."""
        verification = state.get("verification")
        usd_left, tokens_left = self.budget.left(state.get("uses", []))
        day_usd, day_tokens = self.budget.day_left()
        reachable = state.get("reachable")
        return StepFeatures(
            step=self.step,
            task=self.kind,
            sensitivity=Sensitivity.PUBLIC if self.kind == CRITERIA else state.get("sensitivity", Sensitivity.INTERNAL),
            input_tokens=len(self.task.instruction if self.kind == CRITERIA else state.get("document", "")) // 4,
            complexity=self.task.complexity,
            retrieval_score=max((p["score"] for p in state.get("passages", [])), default=None),
            confidence=state.get("confidence"),
            token_confidence=state.get("token_confidence"),
            verdict=Verdict(verification["verdict"]) if verification else None,
            attempt=attempt,
            run_usd_left=usd_left,
            run_tokens_left=tokens_left,
            day_usd_left=day_usd,
            day_tokens_left=day_tokens,
            reachable=frozenset(reachable) if reachable is not None else None,
            approved=bool(state.get("approved", False)),
            has_answer=bool(state.get("answer")),
        )


def decision_dict(decision: RouteDecision, attempt: int) -> dict[str, object]:
    """A decision as plain JSON for the state and the run report."""
    record: dict[str, object] = {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(decision).items()}
    record["attempt"] = attempt
    return record


def skipped_escalations(routes: list[dict[str, object]]) -> list[str]:
    """One line per escalation a guard stopped in ``routes`` (per step and rule, the last
    decision about it): ``"escalation skipped: <guard>: <reason>"``, the reason naming the rule."""
    last = {(r.get("step"), r["skipped"]): r for r in routes if r.get("skipped")}
    return [f"escalation skipped: {r['rule']}: {r['reason']}" for r in last.values()]
