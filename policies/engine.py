"""The decision engine: a policy compiled into predicates, and guards no rule can get past.

``RulePolicy(policy, zones).decide(features)`` is a pure, synchronous function (no I/O, no
clock, no OpenTelemetry). After the first rule that fires, three guards apply, in order:

1. **restricted stays local**: no action sends ``restricted`` data to a non-local zone,
   whatever the rules say;
2. **budget**: no action spends money with no USD or tokens left;
3. **reachability** (graceful degradation): no action goes to an unreachable endpoint.

An escalation one of them stops is *skipped*, never silently dropped: the answer in hand is
``keep``-ed for review (the run ends ``needs_review``), or, with no answer yet, the step runs
locally. Either decision names the guard as its ``rule`` and the rule that wanted the
escalation as ``skipped`` (and in its reason).

When the local endpoint is unreachable, the step escalates only as far as its sensitivity and
the policy's ``local_fallback`` allow: public and internal data go to the cloud pseudonymised
(after a person's approval when ``local_fallback: human``), confidential data after a person's
approval, and restricted data stops the run (``deny``, with the reason).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from hybridgraph.errors import ConfigError
from hybridgraph.policies.features import RouteDecision, StepFeatures
from hybridgraph.policies.spec import Action, Condition, Policy, Rule
from hybridgraph.zones import Sensitivity, TrustZone

__all__ = ["RoutingPolicy", "RulePolicy", "compile_condition"]

Predicate = Callable[[StepFeatures], bool]


class RoutingPolicy(ABC):
    """Decides where a step goes. Implement ``decide``; it must be pure and fast."""

    @abstractmethod
    def decide(self, features: StepFeatures) -> RouteDecision:
        """The route for one step."""


class RulePolicy(RoutingPolicy):
    """A ``Policy`` compiled against the zones of the endpoints it names (``{name: zone}``)."""

    def __init__(self, policy: Policy, zones: Mapping[str, TrustZone], priced: frozenset[str] = frozenset()) -> None:
        missing = sorted(policy.endpoints() - set(zones))
        if missing:
            raise ConfigError(
                f"policy '{policy.name}' names endpoints the catalog does not have: {', '.join(missing)}",
                fix="add them to the catalog (see `hybridgraph models`), or name catalog endpoints in the policy",
            )
        self.policy, self.zones, self.priced = policy, dict(zones), priced
        self._rules = [(compile_condition(r.when), r) for r in policy.rules]

    @classmethod
    def from_catalog(cls, policy: Policy, catalog: object | None = None) -> RulePolicy:
        """Compile with the zones and prices of the model catalog (the shipped one by default)."""
        from hybridgraph.catalog import Catalog

        cat = catalog if isinstance(catalog, Catalog) else Catalog.load()
        endpoints = {name: cat.resolve(name) for name in policy.endpoints() if name in cat.endpoints}
        priced = frozenset(n for n, e in endpoints.items() if e.zone is not TrustZone.LOCAL)
        return cls(policy, {n: e.zone for n, e in endpoints.items()}, priced)

    def decide(self, features: StepFeatures) -> RouteDecision:
        """The first rule that fires (or the default), then the guards."""
        for matches, rule in self._rules:
            if matches(features):
                return self._guarded(self._decision(rule.action, rule.endpoint, rule.id, rule.reason, rule), features)
        action = self.policy.default or Action.LOCAL
        reason = "no rule fired: the policy's default" if self.policy.default else "no rule fired and no default"
        return self._guarded(self._decision(action, None, "default", reason, None), features)

    def _decision(
        self, action: Action, endpoint: str | None, rule: str, reason: str, source: Rule | None
    ) -> RouteDecision:
        if action in (Action.HUMAN, Action.DENY, Action.KEEP):
            return RouteDecision(action, None, None, rule, reason or action.value)
        name = endpoint or (self.policy.local_endpoint if action is Action.LOCAL else self.policy.cloud_endpoint)
        max_tokens = source.max_tokens if source else None
        return RouteDecision(action, name, self.zones[name], rule, reason or action.value, max_tokens)

    def _guarded(self, decision: RouteDecision, f: StepFeatures) -> RouteDecision:
        if decision.endpoint is None:
            return decision
        stop = self._stop(decision, f)
        if stop is not None:
            return self._skipped(decision, f, *stop)
        if decision.target is Action.PARALLEL and not f.can_reach(self.policy.local_endpoint):
            return self._without_local(f)  # no local side to cross-check with
        if decision.target is Action.QUEUE or f.can_reach(decision.endpoint):
            return decision
        return self._without_local(f)  # a local decision whose endpoint is down

    def _stop(self, decision: RouteDecision, f: StepFeatures) -> tuple[str, str] | None:
        """The guard that stops a decision from sending data out of the local zone, and why
        (``None`` when none does)."""
        endpoint = str(decision.endpoint)
        if decision.zone is TrustZone.LOCAL:
            return None
        if f.sensitivity is Sensitivity.RESTRICTED:
            return "guard:restricted-local", "restricted data never leaves the local zone"
        if endpoint in self.priced and _out_of_budget(f):
            return "guard:budget", "the budget is spent"
        if decision.target is not Action.QUEUE and not f.can_reach(endpoint):
            return "guard:unreachable", f"'{endpoint}' is unreachable"
        return None

    def _skipped(self, decision: RouteDecision, f: StepFeatures, rule: str, cause: str) -> RouteDecision:
        """An escalation the guard ``rule`` stopped: the answer in hand is kept for review, or,
        with none yet, the step runs locally; both name the rule that wanted it (``skipped``)."""
        local, was = self.policy.local_endpoint, f"(was: {decision.rule})"
        if f.has_answer:
            reason = f"{cause}: the answer in hand is kept for review {was}"
            return RouteDecision(Action.KEEP, None, None, rule, reason, skipped=decision.rule)
        if not f.can_reach(local):
            return self._without_local(f)
        reason = f"{cause}: degraded to '{local}' {was}"
        return RouteDecision(Action.LOCAL, local, self.zones[local], rule, reason, skipped=decision.rule)

    def _without_local(self, f: StepFeatures) -> RouteDecision:
        local, cloud, rule = self.policy.local_endpoint, self.policy.cloud_endpoint, "guard:local-unreachable"
        level = f.sensitivity
        if level is Sensitivity.RESTRICTED or not f.can_reach(cloud) or _out_of_budget(f):
            why = "restricted data may not leave" if level is Sensitivity.RESTRICTED else "no other endpoint is usable"
            return RouteDecision(Action.DENY, None, None, rule, f"'{local}' is unreachable and {why}")
        asks = level is Sensitivity.CONFIDENTIAL or self.policy.local_fallback == "human"
        if asks and not f.approved:
            reason = f"'{local}' is unreachable: sending {level.value} data (pseudonymised) needs approval"
            return RouteDecision(Action.HUMAN, None, None, rule, reason)
        reason = f"'{local}' is unreachable: {level.value} data goes to '{cloud}' pseudonymised"
        return RouteDecision(Action.CLOUD_REDACTED, cloud, self.zones[cloud], rule, reason)


def _out_of_budget(f: StepFeatures) -> bool:
    usd, tokens = f.usd_left, f.tokens_left
    return (usd is not None and usd <= 0) or (tokens is not None and tokens <= 0)


def compile_condition(when: Condition) -> Predicate:
    """One predicate for all of ``when``'s conditions (true when ``when`` is empty)."""
    tests = [_TESTS[name](value) for name, value in when.fields().items()]
    if not tests:
        return lambda f: True
    if len(tests) == 1:
        return tests[0]
    return lambda f: all(test(f) for test in tests)


Getter = Callable[[StepFeatures], Any]


def _below(get: Getter) -> Callable[[Any], Predicate]:
    def make(limit: Any) -> Predicate:
        def test(f: StepFeatures) -> bool:
            value = get(f)
            return value is not None and bool(value < limit)

        return test

    return make


def _at_least(get: Getter) -> Callable[[Any], Predicate]:
    def make(limit: Any) -> Predicate:
        def test(f: StepFeatures) -> bool:
            value = get(f)
            return value is not None and bool(value >= limit)

        return test

    return make


def _one_of(get: Getter) -> Callable[[Any], Predicate]:
    def make(values: Any) -> Predicate:
        allowed = frozenset(values)
        return lambda f: get(f) in allowed

    return make


def _all_reachable(names: Any) -> Predicate:
    return lambda f: all(f.can_reach(e) for e in names)


def _any_unreachable(names: Any) -> Predicate:
    return lambda f: any(not f.can_reach(e) for e in names)


def _approved(value: Any) -> Predicate:
    return lambda f: f.approved is value


_TESTS: dict[str, Callable[[Any], Predicate]] = {
    "sensitivity": _one_of(lambda f: f.sensitivity),
    "sensitivity_at_least": _at_least(lambda f: f.sensitivity),
    "task": _one_of(lambda f: f.task),
    "complexity_at_least": _at_least(lambda f: f.complexity),
    "complexity_below": _below(lambda f: f.complexity),
    "tokens_at_least": _at_least(lambda f: f.input_tokens),
    "tokens_below": _below(lambda f: f.input_tokens),
    "retrieval_score_below": _below(lambda f: f.retrieval_score),
    "confidence_below": _below(lambda f: f.confidence),
    "confidence_at_least": _at_least(lambda f: f.confidence),
    "token_confidence_below": _below(lambda f: f.token_confidence),
    "token_confidence_at_least": _at_least(lambda f: f.token_confidence),
    "verdict": _one_of(lambda f: f.verdict),
    "attempt_at_least": _at_least(lambda f: f.attempt),
    "attempt_below": _below(lambda f: f.attempt),
    "budget_usd_below": _below(lambda f: f.usd_left),
    "tokens_left_below": _below(lambda f: f.tokens_left),
    "latency_budget_ms_below": _below(lambda f: f.latency_budget_ms),
    "reachable": _all_reachable,
    "unreachable": _any_unreachable,
    "approved": _approved,
}
