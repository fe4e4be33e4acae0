"""The routing policy: rules, guards, presets, lint, and the invariant that restricted data never
leaves the local zone whatever the rules and the other features say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.policies import (
    PRESETS,
    Action,
    Condition,
    Policy,
    Rule,
    RulePolicy,
    StepFeatures,
    Verdict,
    lint,
)
from hybridgraph.policies.features import features_from_json
from hybridgraph.zones import Sensitivity, TrustZone

ZONES = {"local-a": TrustZone.LOCAL, "local-b": TrustZone.LOCAL, "vpc": TrustZone.PRIVATE, "cloud": TrustZone.PUBLIC}
ENDPOINTS = sorted(ZONES)


def engine(*rules: Rule, default: Action | None = Action.LOCAL) -> RulePolicy:
    policy = Policy(name="t", local_endpoint="local-a", cloud_endpoint="cloud", rules=rules, default=default)
    return RulePolicy(policy, ZONES, priced=frozenset({"vpc", "cloud"}))


features = st.builds(
    StepFeatures,
    step=st.sampled_from(["solve", "verify"]),
    task=st.sampled_from(["extract", "classify", "reason", ""]),
    sensitivity=st.sampled_from(list(Sensitivity)),
    input_tokens=st.integers(0, 200_000),
    complexity=st.floats(0, 1),
    retrieval_score=st.none() | st.floats(-1, 1),
    confidence=st.none() | st.floats(0, 1),
    verdict=st.none() | st.sampled_from(list(Verdict)),
    attempt=st.integers(0, 5),
    run_usd_left=st.none() | st.floats(-1, 10),
    day_usd_left=st.none() | st.floats(-1, 100),
    run_tokens_left=st.none() | st.integers(-10, 10**6),
    day_tokens_left=st.none() | st.integers(-10, 10**7),
    latency_budget_ms=st.none() | st.floats(1, 60_000),
    reachable=st.none() | st.frozensets(st.sampled_from(ENDPOINTS)),
    approved=st.booleans(),
)
conditions = st.builds(
    Condition,
    sensitivity=st.none() | st.lists(st.sampled_from(list(Sensitivity)), min_size=1).map(tuple),
    confidence_below=st.none() | st.floats(0, 1),
    verdict=st.none() | st.lists(st.sampled_from(list(Verdict)), min_size=1).map(tuple),
    approved=st.none() | st.booleans(),
    budget_usd_below=st.none() | st.floats(0, 5),
)
rules = st.builds(
    Rule,
    id=st.uuids().map(str),
    when=conditions,
    action=st.sampled_from(list(Action)),
    endpoint=st.none() | st.sampled_from(ENDPOINTS),
)


@settings(max_examples=400, deadline=None)
@given(rule_list=st.lists(rules, max_size=6), default=st.none() | st.sampled_from(list(Action)), f=features)
def test_restricted_data_never_leaves_whatever_the_policy_says(
    rule_list: list[Rule], default: Action | None, f: StepFeatures
) -> None:
    decision = engine(*rule_list, default=default).decide(f)
    if f.sensitivity is Sensitivity.RESTRICTED:
        assert decision.zone in (TrustZone.LOCAL, None)
        assert not decision.leaves


PRESET_ENGINES = {name: RulePolicy.from_catalog(Policy.preset(name)) for name in PRESETS}


@settings(max_examples=1000, deadline=None)
@given(f=features, name=st.sampled_from(PRESETS))
def test_presets_keep_restricted_local_and_spend_nothing_without_budget(f: StepFeatures, name: str) -> None:
    decision = PRESET_ENGINES[name].decide(f)
    if f.sensitivity is Sensitivity.RESTRICTED or (f.usd_left is not None and f.usd_left <= 0):
        assert not decision.leaves
    if f.tokens_left is not None and f.tokens_left <= 0:
        assert not decision.leaves
    if decision.endpoint is not None:
        assert f.can_reach(decision.endpoint) and decision.rule


def test_the_first_rule_that_fires_decides_and_says_why() -> None:
    policy = engine(
        Rule(id="weak", when=Condition(confidence_below=0.5), action=Action.CLOUD_REDACTED, reason="weak answer"),
        Rule(id="any", action=Action.LOCAL, endpoint="local-b"),
    )
    weak = policy.decide(StepFeatures(confidence=0.2))
    assert (weak.target, weak.endpoint, weak.zone, weak.rule, weak.reason) == (
        Action.CLOUD_REDACTED,
        "cloud",
        TrustZone.PUBLIC,
        "weak",
        "weak answer",
    )
    assert policy.decide(StepFeatures(confidence=None)).endpoint == "local-b"  # unknown confidence: no match


def test_guards_override_rules_and_name_themselves() -> None:
    send = Rule(id="send", action=Action.CLOUD_REDACTED)
    policy = engine(send)
    restricted = policy.decide(StepFeatures(sensitivity=Sensitivity.RESTRICTED))
    assert restricted.target is Action.LOCAL and restricted.rule == "guard:restricted-local"
    assert "send" in restricted.reason
    assert policy.decide(StepFeatures(day_usd_left=0.0, run_usd_left=5.0)).rule == "guard:budget"
    assert policy.decide(StepFeatures(run_tokens_left=0)).rule == "guard:budget"
    degraded = policy.decide(StepFeatures(reachable=frozenset({"local-a"})))
    assert (degraded.target, degraded.rule) == (Action.LOCAL, "guard:unreachable")
    nothing = policy.decide(StepFeatures(reachable=frozenset()))
    assert nothing.target is Action.DENY and nothing.endpoint is None
    assert nothing.rule == "guard:local-unreachable" and "unreachable" in nothing.reason


def test_plain_strings_are_the_enums_so_no_guard_can_miss_them() -> None:
    decision = engine(Rule(id="send", action=Action.CLOUD_REDACTED)).decide(
        StepFeatures(sensitivity="restricted", verdict="escalate")  # type: ignore[arg-type]
    )
    assert decision.rule == "guard:restricted-local"
    with pytest.raises(ValueError):
        StepFeatures(sensitivity="secret")  # type: ignore[arg-type]


def test_no_rule_and_no_default_runs_locally_and_says_so() -> None:
    decision = engine(Rule(id="x", when=Condition(task=("reason",)), action=Action.DENY), default=None).decide(
        StepFeatures(task="extract")
    )
    assert decision.target is Action.LOCAL and decision.rule == "default" and "no default" in decision.reason


def test_an_unknown_endpoint_is_an_error_with_the_fix() -> None:
    policy = Policy(name="t", local_endpoint="local-a", cloud_endpoint="gpt-9")
    with pytest.raises(ConfigError) as info:
        RulePolicy(policy, ZONES)
    assert "gpt-9" in info.value.message and "catalog" in (info.value.fix or "")


def test_yaml_errors_point_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nrules:\n  - id: a\n    action: local\n  - id: b\n    wen: {}\n    action: local\n")
    with pytest.raises(ConfigError) as info:
        Policy.from_file(path)
    assert "p.yaml:6" in info.value.message
    path.write_text("name: x\nrules:\n  - {id: a, action: local}\n  - {id: a, action: deny}\n")
    with pytest.raises(ConfigError, match="used twice"):
        Policy.from_file(path)
    with pytest.raises(ConfigError, match="no policy preset"):
        Policy.preset("lenient")


def test_lint_finds_dead_rules_missing_default_and_silent_zones() -> None:
    policy = Policy(
        name="t",
        local_endpoint="local-a",
        cloud_endpoint="cloud",
        rules=(
            Rule(id="confidential", when=Condition(sensitivity=(Sensitivity.CONFIDENTIAL,)), action=Action.HUMAN),
            Rule(
                id="shadowed",
                when=Condition(sensitivity=(Sensitivity.CONFIDENTIAL,), confidence_below=0.3),
                action=Action.CLOUD_REDACTED,
            ),
            Rule(id="impossible", when=Condition(complexity_at_least=0.9, complexity_below=0.5), action=Action.DENY),
            Rule(id="weak", when=Condition(confidence_below=0.5), action=Action.CLOUD_REDACTED),
        ),
    )
    found = {(w.rule, w.message.split(":")[0]) for w in lint(policy, ZONES)}
    assert ("shadowed", "never fires") in found and ("impossible", "never fires") in found
    assert ("weak", "never fires") not in found and ("confidential", "never fires") not in found
    messages = " | ".join(str(w) for w in lint(policy, ZONES))
    assert "no default" in messages and "private zone (vpc)" in messages and "public zone" not in messages


def test_shipped_presets_are_clean_against_the_shipped_catalog() -> None:
    from hybridgraph.catalog import Catalog

    zones = {name: e.zone for name, e in Catalog.builtin().endpoints.items()}
    for name in PRESETS:
        assert lint(Policy.preset(name), zones) == [], name


def test_the_published_schema_matches_the_model() -> None:
    import hybridgraph.policies

    path = Path(hybridgraph.policies.__file__).parent / "policy.schema.json"
    assert json.loads(path.read_text()) == Policy.model_json_schema()


def test_features_from_json_names_bad_keys_and_values() -> None:
    f = features_from_json('{"sensitivity": "confidential", "reachable": ["cloud"], "confidence": 0.4}')
    assert f.sensitivity is Sensitivity.CONFIDENTIAL and f.reachable == frozenset({"cloud"})
    with pytest.raises(InputError, match="unknown step features: sensitivty"):
        features_from_json('{"sensitivty": "public"}')
    with pytest.raises(InputError, match="'sensitivity'"):
        features_from_json('{"sensitivity": "secret"}')
    with pytest.raises(InputError, match="not JSON"):
        features_from_json("{")


def hg(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from hybridgraph.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def test_policy_cli_checks_lints_and_decides(tmp_path: Path) -> None:
    assert hg("policy", "check", "strict").returncode == 0
    dead = tmp_path / "dead.yaml"
    dead.write_text(
        "name: dead\nrules:\n  - {id: all, action: local}\n"
        "  - {id: late, when: {confidence_below: 0.4}, action: human}\n"
    )
    checked = hg("policy", "check", str(dead))
    assert checked.returncode == 1 and "rule 'late': never fires: rule 'all' comes first" in checked.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: b\nrules:\n  - {id: x, action: cloud}\n")
    failed = hg("policy", "check", str(broken))
    assert failed.returncode == 2 and "broken.yaml:3" in failed.stderr and "Traceback" not in failed.stderr
    decided = hg("policy", "decide", "balanced", '{"sensitivity": "restricted", "verdict": "escalate"}')
    assert decided.stdout.startswith("local → local-smollm2 (local) · rule restricted-local")
    assert json.loads(hg("policy", "schema").stdout)["title"] == "Policy"
