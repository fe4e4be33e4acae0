"""Fault handling as wrappers: ``RetryingModel`` (tenacity: exponential backoff with jitter, and
the server's Retry-After honoured) around ``BreakerModel`` (the endpoint's circuit breaker).

``resilient(client)`` applies both as the endpoint's catalog entry configures them; ``open_model``
does it for every endpoint. Only transient failures are retried: timeouts, refused connections,
HTTP 429 and 5xx. A retried stream that had already shown text continues where it broke off when
the new answer repeats what was shown, and otherwise says so with a ``restart`` chunk: nothing
received is lost and nothing is shown twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from hybridgraph.errors import (
    CircuitOpenError,
    EndpointUnreachableError,
    ModelCallError,
    ModelTimeoutError,
    RateLimitedError,
)
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, WrappedModel
from hybridgraph.resilience import CircuitBreaker, Permit, RetrySettings, breaker_for

__all__ = ["BreakerModel", "RetryingModel", "resilient", "transient"]


def transient(exc: BaseException) -> bool:
    """Whether a failure may pass if the call is made again: timeouts, unreachable servers,
    rate limits and server errors (HTTP 5xx)."""
    if isinstance(exc, ModelTimeoutError | EndpointUnreachableError | RateLimitedError):
        return True
    return isinstance(exc, ModelCallError) and (exc.status or 0) >= 500


def resilient(client: ModelClient) -> ModelClient:
    """``client`` with retries around the endpoint's circuit breaker, as its catalog entry says."""
    endpoint = client.endpoint
    key = f"{endpoint.name}|{endpoint.model}|{endpoint.api_base or ''}"
    breaker = breaker_for(key, endpoint.resilience.breaker)
    return RetryingModel(BreakerModel(client, breaker), endpoint.resilience.retry)


class BreakerModel(WrappedModel):
    """Fails calls fast while the endpoint's circuit is open; transient failures count against it
    (rate limits do not: the server is up and said when to come back)."""

    def __init__(self, inner: ModelClient, breaker: CircuitBreaker) -> None:
        super().__init__(inner)
        self.breaker = breaker

    async def complete(self, request: ChatRequest) -> Completion:
        """Call through the breaker."""
        permit = self._enter()
        try:
            completion = await self.inner.complete(request)
        except BaseException as exc:
            self._leave(permit, exc)
            raise
        self.breaker.success(permit)
        return completion

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream through the breaker; a stream that breaks counts as a failure."""
        permit = self._enter()
        try:
            async for chunk in self.inner.stream(request):
                yield chunk
        except BaseException as exc:
            self._leave(permit, exc)
            raise
        self.breaker.success(permit)

    def _enter(self) -> Permit:
        permit = self.breaker.acquire()
        if isinstance(permit, Permit):
            return permit
        settings = self.breaker.settings
        raise CircuitOpenError(
            f"endpoint '{self.name}' kept failing (the circuit opens after {settings.failures} failures within "
            f"{settings.window_s:g}s, and a failed test call keeps it open), so calls fail fast",
            fix=f"one test call goes through in {permit:.0f}s; check the endpoint with `hybridgraph models`",
            endpoint=self.name,
            retry_in_s=permit,
        )

    def _leave(self, permit: Permit, exc: BaseException) -> None:
        if transient(exc) and not isinstance(exc, RateLimitedError):
            self.breaker.failure(permit)
        else:
            self.breaker.release(permit)


class RetryingModel(WrappedModel):
    """Retries transient failures with exponential backoff and jitter; a Retry-After is waited
    for as the server asked (up to ``max_retry_after_s``). Each retry is an event on the span."""

    def __init__(
        self, inner: ModelClient, settings: RetrySettings, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    ) -> None:
        super().__init__(inner)
        self.settings, self.sleep = settings, sleep
        # initial_s, 2 x initial_s, ... up to max_s, plus up to jitter_s at random (any tenacity >= 8.2)
        self._backoff = wait_exponential(multiplier=settings.initial_s, max=settings.max_s) + wait_random(
            0, settings.jitter_s
        )

    async def complete(self, request: ChatRequest) -> Completion:
        """Call, retrying transient failures."""
        async for attempt in self._retrying():
            with attempt:
                return await self.inner.complete(request)
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream, retrying a stream that fails before or during the answer."""
        shown = _Shown()
        async for attempt in self._retrying():
            with attempt:
                async for chunk in shown.reconcile(self.inner.stream(request)):
                    yield chunk

    def _retrying(self) -> AsyncRetrying:
        stop: Any = stop_after_attempt(self.settings.attempts)
        if self.settings.deadline_s is not None:
            stop = stop | stop_after_delay(self.settings.deadline_s)
        return AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            sleep=self.sleep,
            before_sleep=self._note,
            reraise=True,
        )

    def _retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError) and (exc.retry_after_s or 0.0) > self.settings.max_retry_after_s:
            return False
        return transient(exc)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after_s is not None:
            return exc.retry_after_s
        return float(self._backoff(state))

    def _note(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        trace.get_current_span().add_event(
            "retry",
            {"attempt": state.attempt_number, "wait_s": round(wait, 3), "error.type": type(exc).__name__},
        )


@dataclass
class _Shown:
    """The text a stream's consumer has been shown so far, across attempts."""

    text: str = ""
    attempts: int = field(default=0)

    async def reconcile(self, chunks: AsyncIterator[StreamChunk]) -> AsyncIterator[StreamChunk]:
        """Pass a new attempt's chunks on, minus the text already shown (or with a ``restart``
        chunk when the new answer differs from what was shown)."""
        self.attempts += 1
        replay, got = self.attempts > 1 and bool(self.text), ""
        async for chunk in chunks:
            got += chunk.delta
            if not replay:
                self.text += chunk.delta
                yield chunk
                continue
            if self.text.startswith(got) and chunk.completion is None:
                continue  # still repeating what the consumer has
            replay = False
            if got.startswith(self.text):
                delta, self.text = got[len(self.text) :], got
                yield StreamChunk(delta=delta, completion=chunk.completion)
            else:
                self.text = got
                yield StreamChunk(delta=got, completion=chunk.completion, restart=True)
