"""``lint``: what a policy author most likely did not mean.

- a rule that can never fire: its conditions contradict each other, or an earlier rule fires
  for every step it would (the earlier rule is at least as general in every condition);
- no default: a step that no rule matches falls back to ``local`` silently;
- a zone of the catalog that no rule sends anything to (fine for a policy that keeps all
  data in, worth knowing otherwise).

The checks are conservative: a warning is always real, though not every dead rule is found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hybridgraph.policies.spec import Condition, Policy
from hybridgraph.zones import TrustZone

__all__ = ["PolicyWarning", "covers", "lint"]

_BOUNDS = (
    ("complexity_at_least", "complexity_below"),
    ("tokens_at_least", "tokens_below"),
    ("confidence_at_least", "confidence_below"),
    ("token_confidence_at_least", "token_confidence_below"),
    ("attempt_at_least", "attempt_below"),
)


@dataclass(frozen=True)
class PolicyWarning:
    """One finding, about one rule (``rule``) or the whole policy (``None``)."""

    rule: str | None
    message: str

    def __str__(self) -> str:
        return f"rule '{self.rule}': {self.message}" if self.rule else self.message


def lint(policy: Policy, zones: Mapping[str, TrustZone]) -> list[PolicyWarning]:
    """Every finding, in rule order, then the policy-wide ones. ``zones`` maps the catalog's
    endpoints to their zones."""
    found = []
    for i, rule in enumerate(policy.rules):
        contradiction = contradicts(rule.when)
        if contradiction:
            found.append(PolicyWarning(rule.id, f"never fires: {contradiction}"))
            continue
        earlier = next((r for r in policy.rules[:i] if covers(r.when, rule.when)), None)
        if earlier is not None:
            found.append(
                PolicyWarning(
                    rule.id, f"never fires: rule '{earlier.id}' comes first and fires for every step it would"
                )
            )
    if policy.default is None and not any(not r.when.fields() for r in policy.rules):
        found.append(
            PolicyWarning(
                None, "no default: a step no rule matches runs locally; add `default:` or a last rule without `when`"
            )
        )
    found += _silent_zones(policy, zones)
    return found


def contradicts(when: Condition) -> str:
    """Why ``when`` can never hold ("" if it can)."""
    fields = when.fields()
    for low, high in _BOUNDS:
        if low in fields and high in fields and fields[low] >= fields[high]:
            return f"{low} {fields[low]} and {high} {fields[high]} exclude each other"
    both = set(fields.get("reachable", ())) & set(fields.get("unreachable", ()))
    if both and len(fields.get("unreachable", ())) == 1:
        return f"'{next(iter(both))}' must be reachable and unreachable"
    listed, floor = fields.get("sensitivity"), fields.get("sensitivity_at_least")
    if listed is not None and floor is not None and not any(s >= floor for s in listed):
        return "no listed sensitivity is at least sensitivity_at_least"
    return ""


def covers(general: Condition, specific: Condition) -> bool:
    """Whether every step that meets ``specific`` also meets ``general``."""
    narrow = specific.fields()
    return all(key in narrow and _wider(key, value, narrow[key]) for key, value in general.fields().items())


def _wider(key: str, wide: Any, narrow: Any) -> bool:
    if key == "reachable":
        return set(wide) <= set(narrow)
    if isinstance(wide, tuple):
        return set(narrow) <= set(wide)
    if key.endswith("_below"):
        return bool(narrow <= wide)
    if key.endswith("_at_least"):
        return bool(narrow >= wide)
    return bool(wide == narrow)


def _silent_zones(policy: Policy, zones: Mapping[str, TrustZone]) -> list[PolicyWarning]:
    targets = {r.endpoint or policy.cloud_endpoint for r in policy.rules if r.action.leaves}
    if policy.default is not None and policy.default.leaves:
        targets.add(policy.cloud_endpoint)
    reached = {zones[t] for t in targets if t in zones}
    declared = {z for z in zones.values() if z is not TrustZone.LOCAL}
    found = []
    for zone in sorted(declared - reached, key=lambda z: z.rank):
        names = ", ".join(sorted(n for n, z in zones.items() if z is zone))
        found.append(PolicyWarning(None, f"no rule sends anything to the {zone.value} zone ({names})"))
    return found
