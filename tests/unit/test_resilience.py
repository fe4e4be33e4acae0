"""Retries, backoff, Retry-After and the circuit breaker, on FunctionModels (logic only; the
fault matrix on real servers is tests/integration/test_faults.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hybridgraph.catalog import Catalog, Endpoint
from hybridgraph.errors import (
    CircuitOpenError,
    CredentialsError,
    EndpointUnreachableError,
    ModelCallError,
    RateLimitedError,
)
from hybridgraph.models import ChatRequest, FunctionModel, StreamChunk
from hybridgraph.models.base import retry_after_s
from hybridgraph.models.resilient import BreakerModel, RetryingModel, transient
from hybridgraph.resilience import BreakerSettings, BreakerState, CircuitBreaker, Permit, RetrySettings

REQUEST = ChatRequest.from_prompt("hello")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def failing(errors: list[Exception], answer: str = "ok") -> FunctionModel:
    """Raises the given errors in turn, then answers."""

    def fn(_: ChatRequest) -> str:
        if errors:
            raise errors.pop(0)
        return answer

    return FunctionModel(fn, name="flaky")


def unreachable() -> EndpointUnreachableError:
    return EndpointUnreachableError("down", endpoint="flaky")


def retrying(model: FunctionModel, sleeps: Sleeps, attempts: int = 3) -> RetryingModel:
    settings = RetrySettings(attempts=attempts, initial_s=0.5, max_s=4, jitter_s=0.1)
    return RetryingModel(model, settings, sleep=sleeps)


def test_transient_failures_are_the_retryable_ones() -> None:
    assert transient(unreachable())
    assert transient(ModelCallError("boom", status=503))
    assert not transient(ModelCallError("bad request", status=400))
    assert not transient(CredentialsError("no key"))
    assert not transient(CircuitOpenError("open"))


async def test_retries_back_off_exponentially_with_jitter() -> None:
    model, sleeps = failing([unreachable(), unreachable()]), Sleeps()
    completion = await retrying(model, sleeps).complete(REQUEST)
    assert completion.text == "ok" and len(model.calls) == 3
    assert 0.5 <= sleeps.waits[0] <= 0.6 and 1.0 <= sleeps.waits[1] <= 1.1


async def test_gives_up_after_the_attempts_with_the_last_error() -> None:
    model, sleeps = failing([unreachable() for _ in range(5)]), Sleeps()
    with pytest.raises(EndpointUnreachableError):
        await retrying(model, sleeps, attempts=3).complete(REQUEST)
    assert len(model.calls) == 3 and len(sleeps.waits) == 2


async def test_permanent_errors_are_not_retried() -> None:
    model, sleeps = failing([CredentialsError("no key")]), Sleeps()
    with pytest.raises(CredentialsError):
        await retrying(model, sleeps).complete(REQUEST)
    assert len(model.calls) == 1 and sleeps.waits == []


async def test_retry_after_is_waited_for_as_asked() -> None:
    model, sleeps = failing([RateLimitedError("slow down", retry_after_s=7.0)]), Sleeps()
    await retrying(model, sleeps).complete(REQUEST)
    assert sleeps.waits == [7.0]


async def test_a_retry_after_beyond_the_limit_fails_at_once() -> None:
    model, sleeps = failing([RateLimitedError("slow down", retry_after_s=3600.0)]), Sleeps()
    with pytest.raises(RateLimitedError):
        await retrying(model, sleeps).complete(REQUEST)
    assert len(model.calls) == 1


def test_retry_after_header_forms() -> None:
    assert retry_after_s({"retry-after": "2"}) == 2.0
    assert retry_after_s({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def test_breaker_opens_after_failures_in_the_window_then_probes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(BreakerSettings(failures=3, window_s=10, cooldown_s=5), clock=clock)
    for _ in range(2):
        permit = breaker.acquire()
        assert permit == Permit()
        breaker.failure(permit)
    clock.now += 11  # the first two fall out of the window
    breaker.failure(Permit())
    assert breaker.state is BreakerState.CLOSED
    late = Permit()  # a call that started while the circuit was closed
    breaker.failure(Permit())
    breaker.failure(Permit())
    assert breaker.state is BreakerState.OPEN and breaker.acquire() == pytest.approx(5.0)
    breaker.success(late)  # a late success does not close it
    breaker.failure(late)  # nor does a late failure stretch the cooldown
    clock.now += 5
    assert breaker.state is BreakerState.HALF_OPEN
    probe = breaker.acquire()
    assert probe == Permit(probe=True)
    assert breaker.acquire() == 0.0  # others wait while it probes
    breaker.release(Permit())  # another call's bad request does not free the probe slot
    assert breaker.acquire() == 0.0
    breaker.failure(probe)
    assert breaker.state is BreakerState.OPEN
    clock.now += 5
    probe = breaker.acquire()
    assert probe == Permit(probe=True)
    breaker.success(probe)
    assert breaker.state is BreakerState.CLOSED and breaker.acquire() == Permit()


async def test_open_circuit_fails_fast_and_is_not_retried() -> None:
    breaker = CircuitBreaker(BreakerSettings(failures=2, window_s=60, cooldown_s=30))
    model, sleeps = failing([unreachable() for _ in range(10)]), Sleeps()
    client = RetryingModel(BreakerModel(model, breaker), RetrySettings(attempts=5), sleep=sleeps)
    with pytest.raises(CircuitOpenError) as caught:
        await client.complete(REQUEST)
    assert len(model.calls) == 2  # the third attempt met the open circuit, and that ended it
    assert "fail fast" in caught.value.message and caught.value.retry_in_s > 29


async def test_rate_limits_do_not_open_the_circuit() -> None:
    breaker = CircuitBreaker(BreakerSettings(failures=1))
    model = failing([RateLimitedError("slow", retry_after_s=1.0)])
    with pytest.raises(RateLimitedError):
        await BreakerModel(model, breaker).complete(REQUEST)
    assert breaker.state is BreakerState.CLOSED


def test_catalog_configures_resilience_per_endpoint(tmp_path: object) -> None:
    catalog = Catalog.model_validate(
        {
            "endpoints": {
                "cloud": {
                    "model": "litellm:openai/gpt-4o-mini",
                    "resilience": {"retry": {"attempts": 5}, "breaker": {"failures": 2, "cooldown_s": 10}},
                }
            }
        }
    )
    endpoint = catalog.resolve("cloud")
    assert endpoint.resilience.retry.attempts == 5 and endpoint.resilience.breaker.failures == 2
    assert Endpoint(model="ollama:qwen2.5:1.5b").resilience.retry.attempts == 3


class BreakingStream(FunctionModel):
    """Streams its answers word by word; the first stream breaks after ``cut`` words."""

    def __init__(self, answers: list[str], cut: int) -> None:
        super().__init__(lambda _: answers.pop(0), name="stream")
        self.cut, self.streams = cut, 0

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.streams += 1
        count = 0
        async for chunk in super().stream(request):
            if self.streams == 1 and chunk.delta and count == self.cut:
                raise EndpointUnreachableError("the connection broke", endpoint="stream")
            count += 1
            yield chunk


async def collect(client: RetryingModel) -> tuple[str, list[StreamChunk]]:
    shown, chunks = "", []
    async for chunk in client.stream(REQUEST):
        chunks.append(chunk)
        shown = chunk.delta if chunk.restart else shown + chunk.delta
    return shown, chunks


async def test_a_broken_stream_continues_where_it_broke_off() -> None:
    model = BreakingStream(["one two three four", "one two three four"], cut=2)
    shown, chunks = await collect(retrying(model, Sleeps()))
    assert shown == "one two three four" and model.streams == 2
    assert not any(c.restart for c in chunks) and chunks[-1].completion is not None


async def test_a_retried_stream_that_differs_restarts_the_answer() -> None:
    model = BreakingStream(["one two three four", "five six"], cut=2)
    shown, chunks = await collect(retrying(model, Sleeps()))
    assert shown == "five six"
    assert sum(c.restart for c in chunks) == 1


async def test_closing_a_stream_early_is_not_a_failure() -> None:
    breaker = CircuitBreaker(BreakerSettings(failures=1))
    client = RetryingModel(BreakerModel(FunctionModel(lambda _: "a b c"), breaker), RetrySettings())
    stream = client.stream(REQUEST)
    async for _ in stream:
        break
    await stream.aclose()
    assert breaker.state is BreakerState.CLOSED


async def test_no_retry_starts_after_the_deadline() -> None:
    import asyncio

    async def slow(_: ChatRequest) -> str:
        await asyncio.sleep(0.15)
        raise unreachable()

    model = FunctionModel(slow, name="slow")
    settings = RetrySettings(attempts=10, initial_s=0, jitter_s=0, deadline_s=0.4)
    with pytest.raises(EndpointUnreachableError):
        await RetryingModel(model, settings).complete(REQUEST)
    assert 2 <= len(model.calls) <= 4  # not all ten
