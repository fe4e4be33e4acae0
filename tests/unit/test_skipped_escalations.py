"""Degradation never accepts what a rule wanted escalated: an escalation that cannot happen
(the cloud unreachable, its circuit open, the budget spent) ends ``needs_review`` with the rule
named, the skipped escalation listed and the decision traced."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from policy_helpers import policy_of
from test_cascade import CLAUSE, DOCUMENT, NAMES, TASK, answer, models
from test_pipeline import CONTRACT, Names, by_category, judgement

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.errors import EndpointUnreachableError
from hybridgraph.graphs.cascade import cascade
from hybridgraph.graphs.economics import Budget
from hybridgraph.graphs.parallel import parallel
from hybridgraph.graphs.pipeline import Pipeline
from hybridgraph.graphs.routing import CRITERIA
from hybridgraph.graphs.split import split
from hybridgraph.models import ChatRequest, ModelClient
from hybridgraph.models.function import ReplyFn
from hybridgraph.models.resilient import BreakerModel
from hybridgraph.policies import Action, Policy, Rule, RulePolicy, StepFeatures, Verdict
from hybridgraph.policies.spec import PRESETS
from hybridgraph.resilience import BreakerSettings, CircuitBreaker, Permit
from hybridgraph.telemetry import Attr, Telemetry, workflow
from hybridgraph.testing import fake_clients
from hybridgraph.zones import Sensitivity, TrustZone

ZONES = {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}


def disagreeing(request: ChatRequest) -> str:
    """A good first answer whose other samples disagree: confidence 1/3 with ``samples=3``."""
    return answer(True, CLAUSE) if request.seed is None else answer(False, "")


async def test_the_issue_low_sample_agreement_with_an_unreachable_cloud_is_not_accepted() -> None:
    # Issue 27, item 8, as reported: samples 3, confidence 0.33, `confidence_below: 0.67 →
    # cloud_redacted`, the cloud unreachable. It ended accepted, route_reason `default`, no
    # route span, nothing in skipped_escalations.
    rules = [{"id": "weak", "when": {"confidence_below": 0.67}, "action": "cloud_redacted"}]
    policy = Policy.model_validate({**policy_of("weak", rules).model_dump(), "default": "local"})
    _, cloud, clients = models(disagreeing, lambda r: answer(True, CLAUSE))
    graph = cascade(TASK, clients, RulePolicy(policy, ZONES, frozenset({"cloud"})), samples=3, redactor=NAMES)
    result: dict[str, Any] = await graph.ainvoke({"document": DOCUMENT, "reachable": ["local"]})
    assert result["confidence"] is not None and result["confidence"] < 0.34 and not cloud.calls
    assert result["status"] == "needs_review"
    assert [(r["rule"], r["skipped"]) for r in result["routes"]] == [("default", ""), ("guard:unreachable", "weak")]
    (skipped,) = result["skipped_escalations"]
    assert skipped.startswith("escalation skipped: guard:unreachable: 'cloud' is unreachable") and "weak" in skipped


WEAK_POLICY = """name: weak
local_endpoint: local-smollm2
cloud_endpoint: cloud-gpt
rules:
  - id: weak
    when: {confidence_below: 0.67}
    action: cloud_redacted
default: local
"""


async def test_the_issue_in_a_pipeline_reviews_the_clause_and_lists_the_skipped_escalation(tmp_path: Path) -> None:
    # The same, through contract review's clause judge, with `cloud-gpt` not configured.
    (tmp_path / "weak.yaml").write_text(WEAK_POLICY)
    finder: dict[str, Any] = {"categories": ["Governing Law"], "min_score": 0.4, "ranking": "lexical"}
    steps = [("redact", "redactor", {}), ("find", "clause-finder", finder), ("judge", "clause-judge", {"samples": 3})]
    steps += [("verify_quotes", "quote-verifier", {}), ("report", "reporter", {})]

    def reply(request: ChatRequest) -> str:
        return judgement("compliant", "", "an accepted law") if request.seed is None else judgement("violation")

    options = {"clients": fake_clients(reply), "redactor": RedactorAgent(detector=Names())}  # type: ignore[arg-type]
    pipeline = Pipeline.compose("weak-review", steps, policy=str(tmp_path / "weak.yaml"), **options)
    result = await pipeline.run(CONTRACT, source="msa.txt")
    assert result.report is not None
    law = by_category(result.report)["Governing Law"]
    assert law.status == "needs_review" and law.confidence is not None and law.confidence < 0.34
    assert law.review.startswith("escalation skipped: no cloud endpoint is configured (cloud-gpt: ")
    assert law.review.endswith("(was: weak)") and law.route_reason == "default → guard:unreachable"
    assert result.report.skipped_escalations == [law.review] and result.status == "needs_review"
    assert [r["skipped"] for r in result.state["routes"]] == ["", "weak"]


# Every rule of every shipped preset whose action sends the step out, against an unreachable cloud.


@dataclass(frozen=True)
class Scenario:
    """A run in which a rule fires: the pattern (``split`` for criteria rules), the task's
    complexity, the local model's reply, the samples it takes and what the run starts with."""

    split: bool = False
    complexity: float = 0.5
    reply: ReplyFn = field(default=lambda r: answer(True, CLAUSE))
    samples: int = 1
    start: dict[str, Any] = field(default_factory=dict)


def ungrounded(_: ChatRequest) -> str:
    """An answer the verifier escalates: its quote is not in the document."""
    return answer(True, "words that are not in the contract")


def scenario(rule: Rule) -> Scenario:
    """The run in which ``rule``'s conditions hold; a condition this test cannot make fails it."""
    out = Scenario()
    for name, value in rule.when.fields().items():
        out = _MAKERS[name](out, value) if name in _MAKERS else pytest.fail(f"{rule.id}: no scenario for {name}")
    return out


_MAKERS: dict[str, Callable[[Scenario, Any], Scenario]] = {
    "task": lambda s, v: replace(s, split=True) if v == (CRITERIA,) else pytest.fail(f"task {v}"),
    "verdict": lambda s, v: replace(s, reply=ungrounded) if Verdict.ESCALATE in v else pytest.fail(f"verdict {v}"),
    "confidence_below": lambda s, v: replace(s, reply=disagreeing, samples=3) if v > 1 / 3 else pytest.fail(str(v)),
    "complexity_at_least": lambda s, v: replace(s, complexity=v),
    "sensitivity": lambda s, v: replace(s, start={**s.start, "sensitivity_floor": max(v, key=lambda x: x.rank)}),
    "approved": lambda s, v: replace(s, start={**s.start, "approved": v}),
}

ESCALATING = [
    pytest.param(name, rule, id=f"{name}:{rule.id}")
    for name in PRESETS
    for rule in Policy.preset(name).rules
    if rule.action.leaves or rule.action is Action.QUEUE
]


def failing(_: ChatRequest) -> str:
    raise EndpointUnreachableError("connection refused", endpoint="cloud")


def open_circuit(cloud: ModelClient) -> ModelClient:
    """``cloud`` behind a circuit breaker that is open: every call fails fast."""
    breaker = CircuitBreaker(BreakerSettings(failures=1, cooldown_s=600))
    breaker.failure(cast(Permit, breaker.acquire()))
    return BreakerModel(cloud, breaker)


#: How the cloud cannot be used: known beforehand (the pipeline's probe), down at the call, its
#: circuit open, or no budget left for it.
OUTAGES = ["unavailable", "down", "circuit-open", "budget-spent"]


async def run_preset(preset: str, rule: Rule, outage: str, telemetry: Telemetry) -> dict[str, Any]:
    """``rule``'s scenario on ``preset`` with the cloud out of use as ``outage`` says."""
    s = scenario(rule)
    policy = Policy.preset(preset).model_copy(update={"local_endpoint": "local", "cloud_endpoint": "cloud"})
    routing = RulePolicy(policy, dict.fromkeys(policy.endpoints(), TrustZone.LOCAL) | ZONES, frozenset({"cloud"}))
    local, cloud, clients = models(s.reply, failing if outage == "down" else lambda r: answer(True, CLAUSE))
    if outage == "circuit-open":
        clients = [local, open_circuit(clients[1])]
    budget = Budget(run_tokens=0) if outage == "budget-spent" else None  # the presets' own rules look at USD
    task = replace(TASK, complexity=s.complexity)
    graph = (split if s.split else cascade)(task, clients, routing, redactor=NAMES, budget=budget, samples=s.samples)
    start = {"document": DOCUMENT, **s.start, **({"reachable": ["local"]} if outage == "unavailable" else {})}
    with workflow(preset, "run-1", telemetry):
        result: dict[str, Any] = await graph.ainvoke(start)
    assert outage == "down" or not cloud.calls  # nothing reached the cloud
    return result


@pytest.mark.parametrize("outage", OUTAGES)
@pytest.mark.parametrize(("preset", "rule"), ESCALATING)
async def test_every_escalation_rule_of_the_presets_ends_needs_review_when_it_cannot_escalate(
    preset: str, rule: Rule, outage: str, tmp_path: Path
) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    result = await run_preset(preset, rule, outage, Telemetry(provider, trace_dir=tmp_path))
    assert result["status"] == "needs_review" and result["answer_zone"] == "local"
    guard = "guard:budget" if outage == "budget-spent" else "guard:unreachable"
    skipped = [r for r in result["routes"] if r["skipped"]]
    assert skipped and {(r["rule"], r["skipped"]) for r in skipped} == {(guard, rule.id)}
    assert result["skipped_escalations"] and all(f"(was: {rule.id})" in e for e in result["skipped_escalations"])
    assert result["skipped_escalations"][0].startswith(f"escalation skipped: {guard}: ")
    traced = [s for s in spans.get_finished_spans() if s.name.startswith("route ")]
    attributes = [dict(s.attributes or {}) for s in traced if (s.attributes or {}).get(Attr.ROUTE_SKIPPED)]
    assert attributes and all(a[Attr.ROUTE_SKIPPED] == rule.id and a[Attr.ROUTE_RULE] == guard for a in attributes)
    assert all(rule.id in str(a[Attr.ROUTE_REASON]) for a in attributes)


def test_every_preset_has_escalation_rules_under_test() -> None:
    presets = {p.values[0] for p in ESCALATING}
    assert presets == set(PRESETS) and len(ESCALATING) >= len(PRESETS) * 2


async def test_a_real_cloud_server_that_refuses_connections_skips_the_escalation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("litellm")
    from hybridgraph.catalog import Endpoint
    from hybridgraph.models import EgressGuard
    from hybridgraph.models.litellm import LiteLLMModel
    from hybridgraph.models.resilient import resilient
    from hybridgraph.resilience import Resilience, RetrySettings

    monkeypatch.setenv("HG_TEST_CLOUD_KEY", "sk-test")
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = Endpoint(
        name="cloud",
        model="litellm:openai/gpt-4o-mini",
        zone=TrustZone.PUBLIC,
        api_base=f"http://127.0.0.1:{port}/v1",
        api_key_env="HG_TEST_CLOUD_KEY",
        timeout_s=2,
        resilience=Resilience(retry=RetrySettings(attempts=1)),
    )
    cloud = EgressGuard(resilient(LiteLLMModel(endpoint)), scanner=NAMES.detector.detect)
    local, _, _ = models(disagreeing, lambda r: "unused")
    policy = Policy.preset("balanced").model_copy(update={"local_endpoint": "local", "cloud_endpoint": "cloud"})
    graph = cascade(TASK, [local, cloud], RulePolicy(policy, ZONES, frozenset({"cloud"})), samples=3, redactor=NAMES)
    result: dict[str, Any] = await graph.ainvoke({"document": DOCUMENT})
    assert [f["error"] for f in result["faults"]] == ["EndpointUnreachableError"]
    assert result["status"] == "needs_review" and result["answer_zone"] == "local"
    assert result["routes"][-1]["skipped"] == "escalate-on-low-confidence"
    assert result["skipped_escalations"] == [f"escalation skipped: guard:unreachable: {result['route']['reason']}"]


SEND = [{"id": "send", "when": {"attempt_below": 3}, "action": "cloud_redacted"}, {"id": "local", "action": "local"}]


@pytest.mark.parametrize(
    ("guard", "features"),
    [
        ("guard:restricted-local", {"sensitivity": Sensitivity.RESTRICTED}),
        ("guard:budget", {"run_usd_left": 0.0}),
        ("guard:budget", {"day_tokens_left": 0}),
        ("guard:unreachable", {"reachable": frozenset({"local"})}),
    ],
)
def test_a_guard_that_stops_an_escalation_keeps_the_answer_in_hand_and_names_the_rule(
    guard: str, features: dict[str, Any]
) -> None:
    policy = RulePolicy(policy_of("send", SEND), ZONES, frozenset({"cloud"}))
    kept = policy.decide(StepFeatures(has_answer=True, **features))
    assert (kept.target, kept.rule, kept.skipped) == (Action.KEEP, guard, "send") and not kept.leaves
    assert kept.reason.endswith("the answer in hand is kept for review (was: send)")
    first = policy.decide(StepFeatures(**features))  # no answer yet: the step runs locally
    assert (first.target, first.endpoint, first.rule, first.skipped) == (Action.LOCAL, "local", guard, "send")
    assert policy.decide(StepFeatures(attempt=3, has_answer=True, **features)).skipped == ""  # a local rule


def test_a_local_decision_on_a_dead_local_endpoint_skips_no_escalation() -> None:
    policy = RulePolicy(policy_of("send", SEND), ZONES, frozenset({"cloud"}))
    decision = policy.decide(StepFeatures(attempt=3, reachable=frozenset({"cloud"})))
    assert decision.rule == "guard:local-unreachable" and decision.skipped == ""


async def test_the_parallel_pattern_with_the_cloud_unavailable_ends_needs_review() -> None:
    both = policy_of("both", [{"id": "both", "when": {"attempt_below": 1}, "action": "parallel"}, *SEND[1:]])
    _, cloud, clients = models(lambda r: answer(True, CLAUSE), lambda r: answer(True, CLAUSE))
    graph = parallel(TASK, clients, RulePolicy(both, ZONES, frozenset({"cloud"})), redactor=NAMES)
    result: dict[str, Any] = await graph.ainvoke({"document": DOCUMENT, "reachable": ["local"]})
    assert result["verification"]["verdict"] == "accept" and not cloud.calls
    assert result["status"] == "needs_review" and result["routes"][0]["skipped"] == "both"
    assert result["skipped_escalations"] == [f"escalation skipped: guard:unreachable: {result['route']['reason']}"]


def test_trace_show_names_the_skipped_escalation() -> None:
    from hybridgraph.cli.trace import _details

    route = {Attr.ROUTE_TARGET: "keep", Attr.ROUTE_RULE: "guard:unreachable", Attr.ROUTE_SKIPPED: "weak"}
    shown = _details({"attributes": route, "status": "UNSET"})
    assert shown == "→ keep (rule guard:unreachable) · escalation skipped: weak"
