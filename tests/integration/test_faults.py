"""The fault matrix on real servers: LiteLLM to llama.cpp's OpenAI-compatible server behind a
fault-injecting HTTP proxy, the official ollama client to the Ollama-API server, qdrant-client's
local store. Every case ends in the right fallback or a clear stop, and nothing is lost."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CloudServer
from policy_helpers import policy_of
from servers.fault_proxy import Fault, FaultProxy

from hybridgraph.agents.retriever import RetrieverAgent
from hybridgraph.agents.tasks import clause_task
from hybridgraph.catalog import Endpoint
from hybridgraph.errors import CircuitOpenError, EndpointUnreachableError, ModelCallError
from hybridgraph.graphs.cascade import cascade
from hybridgraph.models import ChatRequest, FunctionModel, open_model
from hybridgraph.policies import RulePolicy
from hybridgraph.resilience import BreakerSettings, Resilience, RetrySettings
from hybridgraph.telemetry import AuditLog
from hybridgraph.tools.retrieval import SearchMode
from hybridgraph.tools.vectorstore import QdrantStore
from hybridgraph.zones import TrustZone

pytestmark = pytest.mark.integration

REQUEST = ChatRequest.from_prompt("Name a colour.", max_tokens=8, seed=7)
DOCUMENT = """SERVICES AGREEMENT between Acme Logistics GmbH ("Supplier") and Northwind Retail Ltd ("Buyer").

9. Limitation of Liability. The Supplier's aggregate liability under this Agreement shall not exceed
the fees paid by the Buyer in the twelve months before the claim.
"""
TASK = clause_task("Cap on Liability", query="aggregate liability shall not exceed fees paid")
POLICY = policy_of(
    "faults",
    [
        {"id": "stop-after-two", "when": {"attempt_at_least": 2}, "action": "human"},
        {"id": "escalate", "when": {"verdict": ["escalate"]}, "action": "cloud_redacted"},
        {"id": "local-first", "action": "local"},
    ],
    local="local",
    cloud="test-cloud",
)


@pytest.fixture(scope="module")
def proxy(cloud_server: CloudServer) -> Iterator[FaultProxy]:
    server = FaultProxy(cloud_server.api_base.removesuffix("/v1"))
    yield server
    server.close()


def faulty(endpoint: Endpoint, proxy: FaultProxy, name: str, **settings: Any) -> Endpoint:
    """The test cloud endpoint behind the fault proxy, with its own breaker (``name``)."""
    retry = RetrySettings(initial_s=0.05, max_s=0.2, jitter_s=0.05, **settings.pop("retry", {}))
    resilience = Resilience(retry=retry, breaker=BreakerSettings(**settings.pop("breaker", {})))
    return endpoint.model_copy(
        update={"name": name, "api_base": f"{proxy.url}/v1", "resilience": resilience, **settings}
    )


async def test_429_with_retry_after_waits_and_retries(
    cloud_endpoint: Endpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    client = open_model(faulty(cloud_endpoint, proxy, "c429"), audit=AuditLog(tmp_path / "a.jsonl"))
    proxy.plan(Fault.error(429, retry_after=1))
    completion = await client.complete(REQUEST)
    assert completion.text and len(proxy.forwarded) == 1
    assert proxy.arrivals[1] - proxy.arrivals[0] >= 0.95  # the server's Retry-After, not the 0.05 s backoff


async def test_500s_are_retried_then_the_circuit_opens(
    cloud_endpoint: Endpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    endpoint = faulty(cloud_endpoint, proxy, "c500", retry={"attempts": 2}, breaker={"failures": 3, "cooldown_s": 60})
    client = open_model(endpoint, audit=AuditLog(tmp_path / "a.jsonl"))
    proxy.plan(*[Fault.error(500)] * 10)
    with pytest.raises(ModelCallError, match="HTTP 500"):
        await client.complete(REQUEST)
    assert len(proxy.arrivals) == 2  # one call, retried once
    with pytest.raises(CircuitOpenError) as opened:
        await client.complete(REQUEST)
    assert len(proxy.arrivals) == 3  # the third failure opened the circuit; the retry met it
    with pytest.raises(CircuitOpenError):
        await client.complete(REQUEST)
    assert len(proxy.arrivals) == 3  # an open circuit fails fast: nothing reaches the server
    assert "fail fast" in opened.value.message and opened.value.fix


async def test_a_stream_broken_midway_is_retried_and_nothing_is_lost(
    cloud_endpoint: Endpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    client = open_model(faulty(cloud_endpoint, proxy, "cstream"), audit=AuditLog(tmp_path / "a.jsonl"))
    proxy.plan()
    expected = (await client.complete(REQUEST)).text
    proxy.plan(Fault(cut_after=2))
    shown, final = "", None
    async for chunk in client.stream(REQUEST):
        shown = chunk.delta if chunk.restart else shown + chunk.delta
        final = chunk.completion or final
    assert len(proxy.forwarded) == 2  # the broken stream and its retry
    assert final is not None and shown == final.text == expected


async def test_a_cloud_timeout_keeps_the_local_answer_for_review(
    cloud_endpoint: Endpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    endpoint = faulty(cloud_endpoint, proxy, "test-cloud", retry={"attempts": 2}, timeout_s=1.0)
    cloud = open_model(endpoint, audit=AuditLog(tmp_path / "a.jsonl"))
    local = FunctionModel(
        lambda r: json.dumps({"found": True, "quote": "not in the contract", "risk": "low"}), name="local"
    )
    proxy.plan(Fault(delay_s=3), Fault(delay_s=3))
    policy = RulePolicy(POLICY, {"local": TrustZone.LOCAL, "test-cloud": TrustZone.PUBLIC})
    started = time.perf_counter()
    result = await cascade(TASK, [local, cloud], policy).ainvoke({"document": DOCUMENT})
    assert result["status"] == "needs_review" and result["answer_zone"] == "local"
    assert result["route"]["rule"] == "guard:unreachable" and "kept for review" in result["route"]["reason"]
    assert [f["error"] for f in result["faults"]] == ["ModelTimeoutError"]
    assert time.perf_counter() - started < 10


async def test_ollama_down_before_the_run_falls_back_as_sensitivity_allows(
    cloud_endpoint: Endpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    dead = Endpoint(name="local", model="ollama:smollm2:135m", api_base="http://127.0.0.1:9", timeout_s=2)
    dead = dead.model_copy(update={"resilience": Resilience(retry=RetrySettings(attempts=1))})
    audit = AuditLog(tmp_path / "a.jsonl")
    clients = [open_model(dead, audit=audit), open_model(faulty(cloud_endpoint, proxy, "test-cloud"), audit=audit)]
    policy = RulePolicy(POLICY, {"local": TrustZone.LOCAL, "test-cloud": TrustZone.PUBLIC})
    proxy.plan()
    result = await cascade(TASK, clients, policy).ainvoke({"document": DOCUMENT})
    assert result["faults"][0]["error"] == EndpointUnreachableError.__name__
    assert result["routes"][1]["rule"] == "guard:local-unreachable" and proxy.forwarded
    assert {u["endpoint"] for u in result["uses"]} == {"test-cloud"}

    restricted = DOCUMENT + "\nThis schedule is STRICTLY CONFIDENTIAL and contains trade secrets.\n"
    proxy.plan()
    stopped = await cascade(TASK, clients, policy).ainvoke({"document": restricted})
    assert stopped["sensitivity"] == "restricted"
    assert stopped["status"] == "failed" and "restricted data may not leave" in stopped["route"]["reason"]
    assert proxy.forwarded == []


async def test_a_locked_qdrant_folder_means_no_context_and_a_note(tmp_path: Path) -> None:
    holder = QdrantStore(tmp_path / "qdrant")
    await holder.ensure_collection("rules", 4)  # this client holds the folder's lock
    locked = QdrantStore(tmp_path / "qdrant")
    agent = RetrieverAgent(locked, embedder=None, collection="rules", mode=SearchMode.LEXICAL)  # type: ignore[arg-type]
    out = await agent({"query": "liability cap"})
    assert out["passages"] == [] and "ran without context" in out["warnings"][0]
    assert out["faults"][0]["error"] == "EndpointUnreachableError" and "in use by another process" in out["warnings"][0]
    await holder.close()
