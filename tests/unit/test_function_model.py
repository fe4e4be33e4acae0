from __future__ import annotations

import pytest

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import StructuredOutputError
from hybridgraph.models import ChatRequest, Completion, FunctionModel, WrappedModel


async def test_sync_and_async_functions_answer() -> None:
    async def reply(request: ChatRequest) -> str:
        return "async " + request.messages[-1].content

    assert (await FunctionModel(lambda r: "sync").complete(ChatRequest.from_prompt("x"))).text == "sync"
    assert (await FunctionModel(reply).complete(ChatRequest.from_prompt("hi"))).text == "async hi"


async def test_calls_are_recorded_and_cost_follows_catalog_prices() -> None:
    endpoint = Endpoint(name="priced", model="function:priced", usd_per_1m_input=1_000_000, usd_per_1m_output=0)
    model = FunctionModel(lambda r: "one two", endpoint=endpoint)
    completion = await model.complete(ChatRequest.from_prompt("a b c"))
    assert completion.usage.input_tokens == 3 and completion.usage.output_tokens == 2
    assert completion.cost_usd == pytest.approx(3.0)
    assert [m.content for m in model.calls[0].messages] == ["a b c"]


async def test_completion_returned_by_function_passes_through() -> None:
    canned = Completion(text="{}", endpoint="x", model="m", zone="public")
    assert await FunctionModel(lambda r: canned).complete(ChatRequest.from_prompt("q")) is canned


async def test_stream_reassembles_to_the_text() -> None:
    model = FunctionModel(lambda r: "a b c d e", chunk_words=2)
    chunks = [c async for c in model.stream(ChatRequest.from_prompt("q"))]
    assert [c.delta for c in chunks[:-1]] == ["a b", " c d", " e"]
    assert chunks[-1].completion is not None and chunks[-1].completion.text == "a b c d e"


async def test_complete_json_rejects_non_json_and_schema_mismatch() -> None:
    schema = {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}
    with pytest.raises(StructuredOutputError, match="not valid JSON"):
        await FunctionModel(lambda r: "secret text").complete_json(ChatRequest.from_prompt("q"), schema)
    with pytest.raises(StructuredOutputError, match="does not match the schema") as info:
        await FunctionModel(lambda r: '{"x": "secret"}').complete_json(ChatRequest.from_prompt("q"), schema)
    assert "secret" not in str(info.value)  # errors never echo content
    value, _ = await FunctionModel(lambda r: '{"x": 3}').complete_json(ChatRequest.from_prompt("q"), schema)
    assert value == {"x": 3}


async def test_wrapped_model_delegates() -> None:
    inner = FunctionModel(lambda r: "inner says hi")
    wrapped = WrappedModel(inner)
    assert wrapped.endpoint is inner.endpoint
    assert (await wrapped.complete(ChatRequest.from_prompt("q"))).text == "inner says hi"
    assert [c.delta async for c in wrapped.stream(ChatRequest.from_prompt("q")) if c.delta]


def test_sync_facade() -> None:
    assert FunctionModel(lambda r: "ok").complete_sync(ChatRequest.from_prompt("q")).text == "ok"


def test_request_validation() -> None:
    with pytest.raises(ValueError):
        ChatRequest(messages=())
    with pytest.raises(ValueError):
        ChatRequest.from_prompt("q", max_tokens=0)
