"""What the policy sees of a step (``StepFeatures``) and what it decides (``RouteDecision``).

Both are plain frozen dataclasses: deciding is a pure function of the features, so a decision
can be replayed and explained afterwards from what the trace and the run report hold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from hybridgraph.policies.spec import Action, Verdict
from hybridgraph.zones import Sensitivity, TrustZone

__all__ = ["RouteDecision", "StepFeatures", "features_from_json"]


@dataclass(frozen=True, slots=True)
class StepFeatures:
    """One model step as the policy sees it. ``None`` means not known (yet) or no limit."""

    step: str = ""
    task: str = ""
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    input_tokens: int = 0
    complexity: float = 0.0
    retrieval_score: float | None = None
    confidence: float | None = None
    token_confidence: float | None = None
    verdict: Verdict | None = None
    attempt: int = 0
    run_usd_left: float | None = None
    day_usd_left: float | None = None
    run_tokens_left: int | None = None
    day_tokens_left: int | None = None
    latency_budget_ms: float | None = None
    reachable: frozenset[str] | None = None
    approved: bool = False
    has_answer: bool = False

    def __post_init__(self) -> None:
        # Plain strings ("restricted") become the enums, so no comparison can miss them.
        object.__setattr__(self, "sensitivity", Sensitivity(self.sensitivity))
        if self.verdict is not None:
            object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.reachable is not None and not isinstance(self.reachable, frozenset):
            object.__setattr__(self, "reachable", frozenset(self.reachable))

    @property
    def usd_left(self) -> float | None:
        """The tighter of the run's and the day's USD budget left."""
        return _lower(self.run_usd_left, self.day_usd_left)

    @property
    def tokens_left(self) -> int | None:
        """The tighter of the run's and the day's token budget left."""
        left = _lower(self.run_tokens_left, self.day_tokens_left)
        return None if left is None else int(left)

    def can_reach(self, endpoint: str) -> bool:
        """Whether ``endpoint`` is reachable (assumed when nobody checked)."""
        return self.reachable is None or endpoint in self.reachable


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Where a step goes and why: the rule that fired (or the guard that overrode it). When a
    guard stopped an escalation, ``skipped`` is the id of the rule that wanted it ("" otherwise)."""

    target: Action
    endpoint: str | None
    zone: TrustZone | None
    rule: str
    reason: str
    max_tokens: int | None = None
    skipped: str = ""

    @property
    def leaves(self) -> bool:
        """Whether data goes to a non-local zone."""
        return self.target.leaves and self.zone is not TrustZone.LOCAL


def features_from_json(text: str) -> StepFeatures:
    """``StepFeatures`` from a JSON object; ``InputError`` naming a bad key or value."""
    import json

    from pydantic import TypeAdapter, ValidationError

    from hybridgraph.errors import InputError

    known = [f.name for f in fields(StepFeatures)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the features are not JSON ({exc.msg} at column {exc.colno})", fix="pass a JSON object"
        ) from None
    if not isinstance(data, dict):
        raise InputError("the features must be a JSON object", fix='pass e.g. {"sensitivity": "confidential"}')
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(f"unknown step features: {', '.join(unknown)}", fix=f"use: {', '.join(known)}")
    try:
        return TypeAdapter(StepFeatures).validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InputError(f"step feature '{where}': {error['msg']}", fix=f"use: {', '.join(known)}") from None


def _lower(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
