"""Backend behaviour beyond the shared contract, and every error case, over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import ollama
import pytest
from conftest import CLOUD_KEY, CLOUD_TEST_MODEL, OLLAMA_TEST_MODEL, CloudServer, OllamaServer
from servers.process import free_port

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import (
    ContextOverflowError,
    CredentialsError,
    EndpointUnreachableError,
    HybridGraphError,
    ModelNotPulledError,
)
from hybridgraph.models import ChatRequest, open_model
from hybridgraph.models.availability import check_endpoint
from hybridgraph.models.ollama import OllamaModel

pytestmark = pytest.mark.integration


async def test_ollama_lists_and_embeds(ollama_endpoint: Endpoint) -> None:
    model = OllamaModel(ollama_endpoint)
    assert OLLAMA_TEST_MODEL in await model.list_models()
    texts = ["supplier liability cap", "limitation of liability", "supplier liability cap"]
    vectors = await model.embed(texts)
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1 and len(vectors[0]) > 100
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-3)  # normalised, as Ollama returns
    assert vectors[0] == pytest.approx(vectors[2], abs=1e-5)  # same text, same vector
    assert vectors[0] != pytest.approx(vectors[1], abs=1e-3)  # different text, different vector


async def test_ollama_request_carries_options_and_schema(
    ollama_endpoint: Endpoint, ollama_server: OllamaServer
) -> None:
    model = open_model(ollama_endpoint)
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    await model.complete(ChatRequest.from_prompt("Is water wet?", max_tokens=16, stop=("\n\n",), json_schema=schema))
    body = ollama_server.received()[-1]["body"]
    assert isinstance(body, dict)
    assert body["format"] == schema
    assert body["options"]["num_predict"] == 16 and body["options"]["stop"] == ["\n\n"]
    assert body["stream"] is False


async def test_model_identity_is_a_content_hash_for_local_backends(ollama_endpoint: Endpoint, gguf_path: Path) -> None:
    digest = hashlib.sha256(await asyncio.to_thread(gguf_path.read_bytes)).hexdigest()
    assert await open_model("llamacpp:smollm2").identity() == f"gguf-sha256:{digest}"
    assert await open_model(ollama_endpoint).identity() == f"ollama-digest:sha256:{digest}"
    gone = OllamaModel(Endpoint(name="gone", model="ollama:qwen2.5", api_base=f"http://127.0.0.1:{free_port()}"))
    assert await gone.identity() == "ollama:qwen2.5"  # unknown digest: the model string, no error


async def test_ollama_unreachable_names_host_and_fix() -> None:
    host = f"http://127.0.0.1:{free_port()}"
    model = OllamaModel(Endpoint(name="gone", model="ollama:qwen2.5", api_base=host))
    with pytest.raises(EndpointUnreachableError) as info:
        await model.complete(ChatRequest.from_prompt("hi"))
    assert host in info.value.message
    assert "ollama serve" in (info.value.fix or "") and "OLLAMA_HOST" in (info.value.fix or "")
    state = await check_endpoint(model.endpoint)
    assert not state.ready and "ollama serve" in (state.fix or "")


async def test_ollama_model_not_pulled(ollama_server: OllamaServer) -> None:
    model = OllamaModel(Endpoint(name="x", model="ollama:qwen9:70b", api_base=ollama_server.url))
    with pytest.raises(ModelNotPulledError) as info:
        await model.complete(ChatRequest.from_prompt("hi"))
    assert info.value.fix == "run `ollama pull qwen9:70b`"
    with pytest.raises(ModelNotPulledError):
        async for _ in model.stream(ChatRequest.from_prompt("hi")):
            pass
    state = await check_endpoint(model.endpoint)
    assert not state.ready and state.fix == "ollama pull qwen9:70b"


async def test_availability_of_test_servers(ollama_endpoint: Endpoint, cloud_endpoint: Endpoint) -> None:
    assert (await check_endpoint(ollama_endpoint)).ready
    assert (await check_endpoint(cloud_endpoint)).ready
    assert (await check_endpoint(Endpoint(name="e", model="llamacpp:smollm2"))).ready


async def test_cloud_bytes_on_the_wire_are_recorded(cloud_endpoint: Endpoint, cloud_server: CloudServer) -> None:
    cloud_server.proxy.clear()
    marker = "ZEBRA-7731 unique marker"
    await open_model(cloud_endpoint).complete(ChatRequest.from_prompt(f"Repeat: {marker}", max_tokens=8))
    assert marker.encode() in cloud_server.proxy.raw
    [request] = [r for r in cloud_server.proxy.requests() if r.target.endswith("/chat/completions")]
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {CLOUD_KEY}"
    body = json.loads(request.body)
    assert body["model"] == CLOUD_TEST_MODEL and body["max_tokens"] == 8


async def test_cloud_cost_uses_catalog_prices(cloud_endpoint: Endpoint) -> None:
    completion = await open_model(cloud_endpoint).complete(ChatRequest.from_prompt("Say hi.", max_tokens=8))
    expected = (completion.usage.input_tokens * 0.15 + completion.usage.output_tokens * 0.60) / 1e6
    assert completion.cost_usd == pytest.approx(expected) and completion.cost_usd > 0


async def test_cloud_wrong_key_is_a_credentials_error(
    cloud_endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cloud_endpoint.api_key_env or "", "sk-wrong")
    with pytest.raises(CredentialsError) as info:
        await open_model(cloud_endpoint).complete(ChatRequest.from_prompt("hi", max_tokens=4))
    assert cloud_endpoint.api_key_env in (info.value.fix or "")


async def test_missing_cloud_credentials_fail_before_any_call() -> None:
    model = open_model("litellm:openai/gpt-4o-mini")
    with pytest.raises(CredentialsError) as info:
        await model.complete(ChatRequest.from_prompt("hi"))
    assert "OPENAI_API_KEY" in info.value.message and "export OPENAI_API_KEY" in (info.value.fix or "")


async def test_cloud_unreachable() -> None:
    endpoint = Endpoint(
        name="down", model="litellm:openai/x", api_base=f"http://127.0.0.1:{free_port()}/v1", timeout_s=5
    )
    with pytest.raises(EndpointUnreachableError, match="cannot reach"):
        await open_model(endpoint).complete(ChatRequest.from_prompt("hi", max_tokens=4))


LONG_PROMPT = "Summarise the following clause. " + "The supplier shall indemnify the buyer. " * 400


async def test_oversized_prompt_is_a_context_overflow_error_on_llamacpp() -> None:
    model = open_model(Endpoint(name="small-ctx", model="llamacpp:smollm2", options={"n_ctx": 512}))
    with pytest.raises(ContextOverflowError) as info:
        await model.complete(ChatRequest.from_prompt(LONG_PROMPT, max_tokens=8))
    assert "indemnify" not in str(info.value)  # the error names sizes, never content
    assert "n_ctx" in (info.value.fix or "")
    with pytest.raises(ContextOverflowError):
        async for _ in model.stream(ChatRequest.from_prompt(LONG_PROMPT, max_tokens=8)):
            pass
    await model.aclose()


async def test_oversized_prompt_on_the_cloud_is_a_clear_error(cloud_endpoint: Endpoint) -> None:
    with pytest.raises(HybridGraphError) as info:
        await open_model(cloud_endpoint).complete(ChatRequest.from_prompt(LONG_PROMPT * 3, max_tokens=8))
    assert "indemnify" not in str(info.value)
    assert info.value.fix


async def test_ollama_generate_streams_ndjson_through_the_official_client(ollama_server: OllamaServer) -> None:
    client = ollama.AsyncClient(host=ollama_server.url)
    parts = [
        part
        async for part in await client.generate(
            model=OLLAMA_TEST_MODEL,
            prompt="What is the capital of France?",
            system="Answer in one short sentence.",
            stream=True,
            options={"temperature": 0, "num_predict": 24},
        )
    ]
    assert len(parts) > 2 and parts[-1].done and not any(p.done for p in parts[:-1])
    assert "paris" in "".join(p.response for p in parts).lower()
    assert parts[-1].eval_count == len(parts) - 1
