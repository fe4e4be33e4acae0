"""Routing policies: rules as data, the pure decision engine, its guards, presets and a linter.

Import as ``hybridgraph.policies``::

    policy = RulePolicy.from_catalog(Policy.load("balanced"))       # or a YAML file
    decision = policy.decide(StepFeatures(sensitivity=Sensitivity.CONFIDENTIAL, confidence=0.3))
    decision.target, decision.endpoint, decision.rule, decision.reason
"""

from __future__ import annotations

from hybridgraph.policies.engine import RoutingPolicy, RulePolicy
from hybridgraph.policies.features import RouteDecision, StepFeatures
from hybridgraph.policies.lint import PolicyWarning, lint
from hybridgraph.policies.spec import PRESETS, Action, Condition, Policy, Rule, Verdict

__all__ = [
    "PRESETS",
    "Action",
    "Condition",
    "Policy",
    "PolicyWarning",
    "Rule",
    "RouteDecision",
    "RoutingPolicy",
    "RulePolicy",
    "StepFeatures",
    "Verdict",
    "lint",
]
