"""The cascade end to end on real components: llama.cpp locally, the LiteLLM "cloud" over HTTP
(llama.cpp's OpenAI-compatible server), real Presidio, the egress guard, traces and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CloudServer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from policy_helpers import policy_of

from hybridgraph.agents.tasks import clause_task
from hybridgraph.catalog import Endpoint
from hybridgraph.graphs.cascade import cascade
from hybridgraph.models import AuditedModel, ChatRequest, FunctionModel, open_model
from hybridgraph.policies import RulePolicy, StepFeatures, Verdict
from hybridgraph.telemetry import Attr, AuditLog, Telemetry, workflow
from hybridgraph.zones import TrustZone

pytestmark = pytest.mark.integration

PII = ["Maria Schneider", "maria.schneider@acme-logistics.de", "+49 40 1234 5678"]
DOCUMENT = f"""SERVICES AGREEMENT between Acme Logistics GmbH ("Supplier") and Northwind Retail Ltd ("Buyer").
Contact: {PII[0]}, {PII[1]}, phone {PII[2]}.

9. Limitation of Liability. The Supplier's aggregate liability under this Agreement shall not exceed
the fees paid by the Buyer in the twelve months before the claim.

10. Term. This Agreement runs for two years from the Effective Date.
"""
POLICY = policy_of(
    "e2e",
    [
        {"id": "stop-after-two", "when": {"attempt_at_least": 2}, "action": "human"},
        {"id": "restricted-local", "when": {"sensitivity": ["restricted"]}, "action": "local"},
        {"id": "escalate", "when": {"verdict": ["escalate"]}, "action": "cloud_redacted"},
        {"id": "local-first", "action": "local"},
    ],
    cloud="test-cloud",
)


def unhelpful(request: ChatRequest) -> str:
    return "I cannot tell."


@pytest.mark.parametrize("local_kind", ["llama.cpp", "ollama", "unhelpful"])
async def test_cascade_routes_as_the_policy_says_and_no_pii_leaves(
    local_kind: str, cloud_endpoint: Endpoint, cloud_server: CloudServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    if local_kind == "llama.cpp":
        local = open_model(Endpoint(name="local", model="llamacpp:smollm2", options={"n_ctx": 4096}), audit=audit)
    elif local_kind == "ollama":  # the official ollama client over HTTP to the test Ollama-API server
        served = request.getfixturevalue("ollama_endpoint")
        local = open_model(served.model_copy(update={"name": "local"}), audit=audit)
    else:  # a local model that never answers forces the cloud path; everything else is real
        local = AuditedModel(FunctionModel(unhelpful, endpoint=Endpoint(name="local", model="function:local")), audit)
    cloud = open_model(cloud_endpoint, audit=audit)
    policy = RulePolicy(POLICY, {"local": TrustZone.LOCAL, "test-cloud": TrustZone.PUBLIC}, frozenset({"test-cloud"}))
    graph = cascade(clause_task("Cap on Liability"), [local, cloud], policy)
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    cloud_server.proxy.clear()
    with workflow("cascade", "run-e2e", Telemetry(provider, trace_dir=tmp_path)):
        result = await graph.ainvoke({"document": DOCUMENT})

    rules = [r["rule"] for r in result["routes"]]
    for attempt, route in enumerate(result["routes"]):  # replay: each decision is the policy's
        features = StepFeatures(
            sensitivity=result["sensitivity"],
            verdict=Verdict.ESCALATE if attempt else None,
            attempt=attempt,
            reachable=frozenset({"local", "test-cloud"}),
        )
        assert route["rule"] == policy.decide(features).rule
    assert result["status"] in ("accepted", "needs_human")
    if local_kind == "unhelpful":
        assert result["sensitivity"] != "restricted" and "escalate" in rules
    if rules[-1] == "stop-after-two":
        assert result["status"] == "needs_human" and result["routes"][-1]["attempt"] == 2

    uses = result["uses"]
    entries = [json.loads(line) for line in audit.path.read_text().splitlines()]
    calls = [e for e in entries if e["kind"] != "intent"]  # a cloud call is announced by an intent first
    assert len(calls) == len(uses) and {e["run_id"] for e in entries} == {"run-e2e"}
    assert [e["intent"] for e in calls if e["zone"] != "local"] == [e["seq"] for e in entries if e["kind"] == "intent"]
    e = result["economics"]
    assert e["model_steps"] == len(uses) and 0 < e["local_share"] <= 1
    if "escalate" in rules:
        wire = cloud_server.proxy.raw
        assert wire and all(value.encode() not in wire for value in PII)
        assert b"<PERSON_1>" in wire or b"ORGANIZATION" in wire or b"<ORG" in wire
        assert any(x["egress"] == "passed" for x in entries)
        assert e["zones"]["public"]["calls"] >= 1 and e["cost_usd"] > 0
    route_spans = [s for s in spans.get_finished_spans() if s.name == "route answer"]
    assert [s.attributes[Attr.ROUTE_RULE] for s in route_spans] == rules
    if local_kind != "unhelpful":
        assert len([s for s in spans.get_finished_spans() if s.name.startswith("chat ")]) == len(uses)
    text = json.dumps([dict(s.attributes or {}) for s in spans.get_finished_spans()])
    assert all(value not in text for value in PII)


def test_task_instructions_pass_the_egress_scan() -> None:
    """The guard re-scans every outgoing byte: our own wording must not look like names."""
    from hybridgraph.tools.knowledge import clause_categories
    from hybridgraph.tools.pii.detector import shared_detector

    detector = shared_detector()
    for category in clause_categories():
        task = clause_task(category.name)
        for text in (task.system, task.prompt("", "Excerpts (names and identifiers are replaced by placeholders")):
            assert detector.detect(text) == [], (category.name, text)


BOTH = policy_of(
    "both",
    [
        {"id": "stop", "when": {"attempt_at_least": 1}, "action": "human"},
        {"id": "criteria", "when": {"task": ["criteria"]}, "action": "cloud_redacted"},
        {"id": "both", "action": "parallel"},
    ],
    cloud="test-cloud",
)


@pytest.mark.parametrize("pattern", ["parallel", "split"])
async def test_parallel_and_split_on_real_models_keep_pii_in(
    pattern: str, cloud_endpoint: Endpoint, cloud_server: CloudServer, tmp_path: Path
) -> None:
    from hybridgraph import graphs

    audit = AuditLog(tmp_path / "audit.jsonl")
    local = open_model(Endpoint(name="local", model="llamacpp:smollm2", options={"n_ctx": 4096}), audit=audit)
    cloud = open_model(cloud_endpoint, audit=audit)
    policy = RulePolicy(BOTH, {"local": TrustZone.LOCAL, "test-cloud": TrustZone.PUBLIC}, frozenset({"test-cloud"}))
    cloud_server.proxy.clear()
    result = await getattr(graphs, pattern)(clause_task("Cap on Liability"), [local, cloud], policy).ainvoke(
        {"document": DOCUMENT}
    )
    rules = [r["rule"] for r in result["routes"]]
    steps = [u["step"] for u in result["uses"]]
    if pattern == "parallel":
        assert rules[0] == "both" and {"solve_local", "consult_cloud"} <= set(steps)
    else:
        assert rules[:2] == ["criteria", "both"] and steps[0] == "criteria"
        first = cloud_server.proxy.requests()[0].body  # the criteria request: the task's wording only
        assert b"aggregate liability" not in first and b"Northwind" not in first and b"ORG_" not in first
    wire = cloud_server.proxy.raw
    assert wire and all(value.encode() not in wire for value in PII)
    assert result["status"] in ("accepted", "needs_human", "unverified")
    kinds = [json.loads(line)["kind"] for line in audit.path.read_text().splitlines()]
    assert len(kinds) - kinds.count("intent") == len(result["uses"]) and kinds.count("intent") >= 1
    assert result["economics"]["zones"]["public"]["calls"] >= 1
