"""The contract every ``ModelClient`` keeps, run against all four implementations.

``llamacpp`` runs the real SmolLM2 GGUF in-process; ``ollama`` goes through the official
``ollama`` client over HTTP to the test Ollama-API server; ``litellm`` goes through
LiteLLM over HTTP to ``llama_cpp.server``. ``function`` is the programmable fake.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from hybridgraph.catalog import Endpoint
from hybridgraph.models import ChatRequest, Completion, FunctionModel, ModelClient, open_model
from hybridgraph.zones import TrustZone

BACKENDS = ["function", "llamacpp", "ollama", "litellm"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population_millions": {"type": "number"}},
    "required": ["city", "population_millions"],
    "additionalProperties": False,
}
QUESTION = "What is the capital of France?"
SYSTEM = "Answer in one short sentence."


def _fake_answer(request: ChatRequest) -> str:
    if request.json_schema is not None:
        return json.dumps({"city": "Paris", "population_millions": 2.1})
    words = ["The", "capital", "of", "France", "is", "Paris,", "a", "city", "on", "the", "Seine."]
    return " ".join(words[: request.max_tokens or len(words)])


@pytest.fixture(params=BACKENDS)
async def client(request: pytest.FixtureRequest) -> Any:
    backend = request.param
    if backend == "function":
        model: ModelClient = FunctionModel(_fake_answer, name="fake")
    elif backend == "llamacpp":
        request.getfixturevalue("gguf_path")  # skips cleanly without the embedded extra
        model = open_model(Endpoint(name="embedded", model="llamacpp:smollm2", options={"n_ctx": 2048}))
    elif backend == "ollama":
        model = open_model(request.getfixturevalue("ollama_endpoint"))
    else:
        model = open_model(request.getfixturevalue("cloud_endpoint"))
    yield model
    await model.aclose()


def _ask(max_tokens: int = 48, **options: Any) -> ChatRequest:
    return ChatRequest.from_prompt(QUESTION, system=SYSTEM, max_tokens=max_tokens, **options)


async def test_complete_returns_text_and_accounting(client: ModelClient) -> None:
    completion = await client.complete(_ask())
    assert completion.text.strip()
    assert "paris" in completion.text.lower()
    assert completion.endpoint == client.name
    assert completion.zone == client.zone
    assert completion.usage.input_tokens > 0
    assert 0 < completion.usage.output_tokens <= 48
    assert completion.latency_s > 0
    assert completion.cost_usd == pytest.approx(
        client.endpoint.cost_usd(completion.usage.input_tokens, completion.usage.output_tokens)
    )


async def test_stream_yields_pieces_then_the_same_completion(client: ModelClient) -> None:
    deltas: list[str] = []
    finals: list[Completion] = []
    async for chunk in client.stream(_ask()):
        if chunk.completion is not None:
            finals.append(chunk.completion)
        else:
            deltas.append(chunk.delta)
    assert len(finals) == 1
    assert len(deltas) > 1, "a stream must deliver the answer in more than one piece"
    assert "".join(deltas) == finals[0].text
    assert finals[0].usage.output_tokens > 0
    blocking = await client.complete(_ask())
    assert finals[0].text == blocking.text  # temperature 0: streaming changes nothing


async def test_max_tokens_caps_the_answer(client: ModelClient) -> None:
    completion = await client.complete(_ask(max_tokens=4))
    assert 0 < completion.usage.output_tokens <= 4
    assert len(completion.text.split()) <= 4


async def test_structured_output_matches_the_schema(client: ModelClient) -> None:
    request = ChatRequest.from_prompt(
        f"{QUESTION} Reply as JSON with the city and its population in millions.", max_tokens=64
    )
    value, completion = await client.complete_json(request, SCHEMA)
    assert set(value) == {"city", "population_millions"}
    assert isinstance(value["city"], str)
    assert isinstance(value["population_millions"], int | float)
    assert json.loads(completion.text) == value


async def test_same_request_same_answer_at_temperature_zero(client: ModelClient) -> None:
    first, second = await asyncio.gather(client.complete(_ask()), client.complete(_ask()))
    assert first.text == second.text


async def test_concurrent_calls_all_complete(client: ModelClient) -> None:
    prompts = ["Name a colour.", "Name a fruit.", "Name an animal."]
    results = await asyncio.gather(*(client.complete(ChatRequest.from_prompt(p, max_tokens=8)) for p in prompts))
    assert all(r.text.strip() for r in results)


def test_zone_comes_from_the_endpoint(client: ModelClient) -> None:
    expected = TrustZone.PUBLIC if client.endpoint.spec.provider == "litellm" else TrustZone.LOCAL
    assert client.zone is expected


async def test_logprobs_where_the_backend_gives_them(client: ModelClient) -> None:
    plain = await client.complete(_ask())
    asked = await client.complete(_ask(logprobs=True))
    assert plain.logprobs is None and plain.token_confidence is None  # only when asked
    if client.endpoint.spec.provider not in ("llamacpp", "ollama"):
        assert asked.logprobs is None  # the fake gives none; the LiteLLM test server would need logits_all
        return
    assert asked.text == plain.text  # recording changes nothing
    assert asked.logprobs is not None and len(asked.logprobs) >= asked.usage.output_tokens
    assert all(v <= 0 for v in asked.logprobs)
    assert asked.token_confidence is not None and 0.3 < asked.token_confidence <= 1  # greedy: likely tokens
    request = ChatRequest.from_prompt(f"{QUESTION} Reply as JSON.", max_tokens=64, logprobs=True)
    _, structured = await client.complete_json(request, SCHEMA)
    assert structured.logprobs and max(structured.logprobs) > -1e-6  # a token the grammar forces is certain
