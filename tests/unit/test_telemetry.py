"""Trace structure of a run: one trace, the parent chain, names, kinds, attributes, no content."""

from __future__ import annotations

import asyncio
import json
import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hybridgraph.errors import EgressBlocked
from hybridgraph.models import AuditedModel, ChatRequest, EgressGuard, FunctionModel, InstrumentedModel, ModelClient
from hybridgraph.telemetry import (
    Attr,
    AuditLog,
    Telemetry,
    TracedNode,
    current_run,
    read_trace,
    record_route,
    using,
    verify_log,
    workflow,
)
from hybridgraph.tools.pii.findings import Finding
from hybridgraph.zones import TrustZone

CANARY = "CANARY-7f3a9c"
DOCUMENT = f"Supplier Acme Ltd shall pay {CANARY} within 30 days."


class State(TypedDict, total=False):
    document: str
    answers: Annotated[list[str], operator.add]


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(spans: InMemorySpanExporter, tmp_path: Path) -> Telemetry:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return Telemetry(provider, trace_dir=tmp_path / "traces")


def model(name: str, log: AuditLog, zone: TrustZone = TrustZone.LOCAL, scanner: Any = None) -> ModelClient:
    client: ModelClient = FunctionModel(lambda r: f"{name} says ok", name=name, zone=zone)
    if zone is not TrustZone.LOCAL:
        client = EgressGuard(client, scanner=scanner or (lambda text: []))
    return InstrumentedModel(AuditedModel(client, log))


def build_graph(local: ModelClient, cloud: ModelClient) -> Any:
    async def redact(state: State) -> dict[str, Any]:
        return {"document": state["document"].replace("Acme Ltd", "<ORG_1>")}

    async def ask(client: ModelClient, state: State) -> dict[str, Any]:
        record_route(current_run().step if current_run() else "", client.name, zone=client.zone.value, rule="R-test")
        with using(rule="R-test"):
            completion = await client.complete(ChatRequest.from_prompt(f"Review: {state['document']}"))
        return {"answers": [completion.text]}

    async def local_node(state: State) -> dict[str, Any]:
        return await ask(local, state)

    async def cloud_node(state: State) -> dict[str, Any]:
        return await ask(cloud, state)

    graph = StateGraph(State)
    graph.add_node("redact", TracedNode("redact", redact))
    graph.add_node("local", TracedNode("local", local_node))
    graph.add_node("cloud", TracedNode("cloud", cloud_node))
    graph.add_edge(START, "redact")
    graph.add_edge("redact", "local")
    graph.add_edge("redact", "cloud")
    graph.add_edge("local", END)
    graph.add_edge("cloud", END)
    return graph.compile()


async def run_once(telemetry: Telemetry, log: AuditLog, run_id: str = "run-1") -> dict[str, Any]:
    graph = build_graph(model("local", log), model("cloud", log, TrustZone.PUBLIC))
    with workflow("review", run_id, telemetry):
        result: dict[str, Any] = await graph.ainvoke({"document": DOCUMENT})
    return result


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans}


def all_text(spans: tuple[ReadableSpan, ...]) -> str:
    parts = []
    for s in spans:
        parts += [s.name, json.dumps(dict(s.attributes or {})), s.status.description or ""]
        parts += [json.dumps(dict(e.attributes or {})) for e in s.events]
    return "\n".join(parts)


async def test_a_run_is_one_trace_with_the_parent_chain(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    result = await run_once(telemetry, AuditLog(tmp_path / "audit.jsonl"))
    assert sorted(result["answers"]) == ["cloud says ok", "local says ok"]
    finished = spans.get_finished_spans()
    assert len({s.context.trace_id for s in finished}) == 1
    named = by_name(finished)
    root = named["invoke_workflow review"]
    assert root.parent is None and root.attributes[Attr.CONVERSATION_ID] == "run-1"
    for agent in ("redact", "local", "cloud"):
        span = named[f"invoke_agent {agent}"]
        assert span.parent.span_id == root.context.span_id
        assert span.attributes[Attr.AGENT_NAME] == agent and span.kind is SpanKind.INTERNAL
    for agent in ("local", "cloud"):  # parallel branches: each call under its own agent
        chat = named[f"chat function:{agent}".replace("function:", "")]
        assert chat.parent.span_id == named[f"invoke_agent {agent}"].context.span_id
        assert chat.kind is SpanKind.CLIENT
        assert chat.attributes[Attr.PROVIDER] == "function"
        assert chat.attributes[Attr.STEP] == agent
        assert chat.attributes[Attr.INPUT_TOKENS] > 0 and chat.attributes[Attr.OUTPUT_TOKENS] == 3
        route = named[f"route {agent}"]
        assert route.attributes[Attr.ROUTE_TARGET] == agent and route.attributes[Attr.ROUTE_RULE] == "R-test"
    assert named["chat cloud"].attributes[Attr.ZONE] == "public"
    assert named["chat cloud"].attributes[Attr.EGRESS] == "passed"
    assert named["chat local"].attributes[Attr.ZONE] == "local"


async def test_no_content_in_any_span_by_default(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    await run_once(telemetry, AuditLog(tmp_path / "audit.jsonl"))
    telemetry.flush()
    text = all_text(spans.get_finished_spans())
    assert CANARY not in text and "Review:" not in text and "says ok" not in text
    assert CANARY not in (tmp_path / "audit.jsonl").read_text()
    assert CANARY not in (tmp_path / "traces" / "run-1.json").read_text()


async def test_an_error_records_its_type_and_withholds_foreign_messages(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    def fail(request: ChatRequest) -> str:
        raise ValueError(f"cannot parse {CANARY}")

    client = InstrumentedModel(AuditedModel(FunctionModel(fail, name="broken"), AuditLog(tmp_path / "a.jsonl")))
    with pytest.raises(ValueError), workflow("review", "run-err", telemetry):
        await client.complete(ChatRequest.from_prompt(DOCUMENT))
    named = by_name(spans.get_finished_spans())
    for name in ("chat broken", "invoke_workflow review"):
        assert named[name].status.status_code is StatusCode.ERROR
        assert named[name].attributes[Attr.ERROR_TYPE] == "ValueError"
    assert CANARY not in all_text(spans.get_finished_spans())
    entry = json.loads((tmp_path / "a.jsonl").read_text())
    assert entry["outcome"] == "ValueError" and entry["run_id"] == "run-err"


async def test_the_run_writes_a_trace_file_with_every_span(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    await run_once(telemetry, AuditLog(tmp_path / "audit.jsonl"), run_id="run-file")
    assert telemetry.flush()  # the run flushes in the background; this waits for it
    document = read_trace(tmp_path / "traces" / "run-file.json")
    assert document["run_id"] == "run-file"
    assert {s["name"] for s in document["spans"]} == {s.name for s in spans.get_finished_spans()}
    assert document["trace_id"] == f"{spans.get_finished_spans()[0].context.trace_id:032x}"


async def test_concurrent_runs_get_separate_traces(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    await asyncio.gather(*(run_once(telemetry, log, run_id=f"run-{i}") for i in range(4)))
    finished = spans.get_finished_spans()
    by_trace: dict[int, set[str]] = {}
    for s in finished:
        by_trace.setdefault(s.context.trace_id, set()).add(str(s.attributes.get(Attr.CONVERSATION_ID)))
    assert len(by_trace) == 4 and all(len(ids) == 1 for ids in by_trace.values())
    assert verify_log(log.path).ok and verify_log(log.path).entries == 12  # per run: local, cloud intent, outcome


async def test_every_model_call_is_audited_with_run_step_rule_and_verdict(telemetry: Telemetry, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    await run_once(telemetry, log)
    rows = [json.loads(line) for line in log.path.read_text().splitlines()]
    entries = {e["step"]: e for e in rows if e["kind"] != "intent"}
    assert set(entries) == {"local", "cloud"} and [e["step"] for e in rows if e["kind"] == "intent"] == ["cloud"]
    assert entries["local"]["egress"] == "local" and entries["cloud"]["egress"] == "passed"
    for step, entry in entries.items():
        assert entry["run_id"] == "run-1" and entry["rule"] == "R-test" and entry["endpoint"] == step
        assert entry["redactions"] == {"ORG": 1} and len(entry["payload_sha256"]) == 64
        assert entry["model_id"] == f"function:{step}"


async def test_a_blocked_request_is_audited_with_counts_and_marked_on_its_span(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    cloud = model("cloud", log, TrustZone.PUBLIC, scanner=lambda text: [Finding(0, 4, "PERSON", 0.9)])
    with pytest.raises(EgressBlocked), workflow("review", "run-b", telemetry):
        await cloud.complete(ChatRequest.from_prompt(DOCUMENT))
    intent, entry = map(json.loads, log.path.read_text().splitlines())
    assert intent["kind"] == "intent" and entry["intent"] == intent["seq"]
    assert entry["egress"] == "blocked" and entry["egress_blocked"] == {"PERSON": 1}
    assert entry["outcome"] == "EgressBlocked" and entry["output_tokens"] == 0
    chat = by_name(spans.get_finished_spans())["chat cloud"]
    assert chat.attributes[Attr.ERROR_TYPE] == "EgressBlocked" and chat.attributes[Attr.EGRESS] == "blocked"
    assert list(chat.attributes[Attr.EGRESS_BLOCKED]) == ["PERSON=1"]


async def test_a_streamed_call_is_one_span_with_its_usage(
    telemetry: Telemetry, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    client = model("local", AuditLog(tmp_path / "audit.jsonl"))
    with workflow("review", "run-s", telemetry):
        text = "".join([c.delta async for c in client.stream(ChatRequest.from_prompt("hello there"))])
    assert text == "local says ok"
    chat = by_name(spans.get_finished_spans())["chat local"]
    assert chat.attributes[Attr.STREAMED] is True and chat.attributes[Attr.OUTPUT_TOKENS] == 3
    assert chat.parent.span_id == by_name(spans.get_finished_spans())["invoke_workflow review"].context.span_id


def test_telemetry_never_replaces_the_global_provider(tmp_path: Path) -> None:
    before = trace.get_tracer_provider()
    own = Telemetry(trace_dir=tmp_path)
    assert trace.get_tracer_provider() is before
    assert own.provider is not before or isinstance(before, TracerProvider)
    own.shutdown()


def test_a_given_provider_is_used_as_is(spans: InMemorySpanExporter, tmp_path: Path) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(provider, trace_dir=tmp_path)
    assert telemetry.provider is provider and not telemetry.owned


async def test_agent_tools_get_their_own_spans_without_content(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    from hybridgraph.agents.redactor import RedactorAgent
    from hybridgraph.tools.pii.findings import Finding as F

    class OneName:
        config = None

        def detect(self, text: str) -> list[F]:
            start = text.index("Acme Ltd")
            return [F(start, start + len("Acme Ltd"), "ORGANIZATION", 0.9)]

    with workflow("review", "run-tools", telemetry):
        out = await TracedNode("redact", RedactorAgent(detector=OneName()))({"document": DOCUMENT})
    assert "Acme Ltd" not in out["redacted"]
    named = by_name(spans.get_finished_spans())
    tool = named["execute_tool pii_detect"]
    assert tool.parent.span_id == named["invoke_agent redact"].context.span_id
    assert tool.attributes[Attr.TOOL_NAME] == "pii_detect" and tool.attributes[Attr.PII_FINDINGS] == 1
    assert "Acme" not in all_text(spans.get_finished_spans()) and CANARY not in all_text(spans.get_finished_spans())
