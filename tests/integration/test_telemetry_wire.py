"""Traces on the wire: the real OTLP/HTTP exporter to a receiver that decodes the protobuf, a real
model behind ``open_model``, opt-in content that is pseudonymised, and Jaeger when one is given."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers.otlp_receiver import OtlpReceiver

from hybridgraph.models import ChatRequest, open_model
from hybridgraph.telemetry import Attr, AuditLog, Telemetry, TracedNode, read_trace, verify_log, workflow
from hybridgraph.telemetry.content import MAX_CHARS, safe_text

pytestmark = pytest.mark.integration

CANARY = "CANARY-51b0e2"
PROMPT = f"Summarise in five words: John Smith (john.smith@example.com) owes {CANARY}."


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    yield server
    server.close()


@pytest.fixture
def exporting(receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Telemetry]:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hybridgraph-wire-test")
    telemetry = Telemetry(trace_dir=tmp_path / "traces")
    assert telemetry.owned
    yield telemetry
    telemetry.shutdown()


async def solve(state: dict[str, str]) -> dict[str, str]:
    client = open_model("llamacpp:smollm2", audit=AuditLog(Path(state["audit"])))
    completion = await client.complete(ChatRequest.from_prompt(PROMPT, max_tokens=12))
    return {"answer": completion.text}


async def test_spans_arrive_over_otlp_http_with_service_tree_and_genai_attributes(
    exporting: Telemetry, receiver: OtlpReceiver, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    with workflow("wire", "run-wire", exporting):
        await TracedNode("solve", solve)({"audit": str(audit)})
    assert exporting.flush()
    spans = {s.name: s for s in receiver.spans}
    assert set(spans) == {"invoke_workflow wire", "invoke_agent solve", "chat smollm2"}
    assert {s.service for s in receiver.spans} == {"hybridgraph-wire-test"}
    assert len({s.trace_id for s in receiver.spans}) == 1
    root, agent, chat = spans["invoke_workflow wire"], spans["invoke_agent solve"], spans["chat smollm2"]
    assert root.parent_id == "" and agent.parent_id == root.span_id and chat.parent_id == agent.span_id
    assert chat.kind == 3  # SPAN_KIND_CLIENT
    a = chat.attributes
    assert a[Attr.OPERATION] == "chat" and a[Attr.PROVIDER] == "llama.cpp" and a[Attr.REQUEST_MODEL] == "smollm2"
    assert a[Attr.INPUT_TOKENS] > 10 and 0 < a[Attr.OUTPUT_TOKENS] <= 12 and a[Attr.ZONE] == "local"
    assert a[Attr.CONVERSATION_ID] == "run-wire" and a[Attr.STEP] == "solve"
    wire = json.dumps([s.attributes for s in receiver.spans])
    assert CANARY not in wire and "John Smith" not in wire
    entry = json.loads(audit.read_text())
    assert entry["model_id"].startswith("gguf-sha256:") and len(entry["model_id"]) == len("gguf-sha256:") + 64
    assert entry["step"] == "solve" and entry["input_tokens"] == a[Attr.INPUT_TOKENS] and verify_log(audit).ok
    assert read_trace(tmp_path / "traces" / "run-wire.json")["trace_id"] == root.trace_id


async def test_opted_in_content_is_pseudonymised_and_truncated(
    exporting: Telemetry, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    with workflow("wire", "run-content", exporting):
        await TracedNode("solve", solve)({"audit": str(tmp_path / "audit.jsonl")})
    exporting.flush()
    chat = next(s for s in receiver.spans if s.name.startswith("chat"))
    messages = json.loads(chat.attributes[Attr.INPUT_MESSAGES])
    recorded = next(m for m in messages if m["role"] == "user")["parts"][0]["content"]
    assert recorded.startswith("Summarise in five words")
    assert "John Smith" not in recorded and "john.smith@example.com" not in recorded
    assert "<PERSON_1>" in recorded and "<EMAIL_1>" in recorded, recorded
    assert Attr.OUTPUT_MESSAGES in chat.attributes
    long = safe_text("Payment terms. " * 200)
    assert len(long) == MAX_CHARS + 1 and long.endswith("…")


def test_no_collector_costs_a_run_no_wait(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from servers.process import free_port

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    telemetry = Telemetry(trace_dir=tmp_path)
    started = time.perf_counter()
    with workflow("quiet", "run-quiet", telemetry):
        pass
    telemetry.flush()
    telemetry.shutdown()
    assert time.perf_counter() - started < 2.0
    assert (tmp_path / "run-quiet.json").is_file()


@pytest.mark.skipif(not os.environ.get("JAEGER_QUERY_URL"), reason="set JAEGER_QUERY_URL to a Jaeger v2 query API")
async def test_the_trace_is_queryable_in_jaeger(tmp_path: Path) -> None:
    telemetry = Telemetry(trace_dir=tmp_path)
    with workflow("jaeger", "run-jaeger", telemetry):
        await TracedNode("solve", solve)({"audit": str(tmp_path / "audit.jsonl")})
    telemetry.flush()
    trace_id = read_trace(tmp_path / "run-jaeger.json")["trace_id"]
    url = f"{os.environ['JAEGER_QUERY_URL'].rstrip('/')}/api/v3/traces/{trace_id}"
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(30):
            response = await http.get(url)
            if response.status_code == 200 and "chat smollm2" in response.text:
                break
            await asyncio.sleep(1)
    assert "invoke_workflow jaeger" in response.text and "chat smollm2" in response.text
