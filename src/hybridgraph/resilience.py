"""Fault-handling settings per endpoint, and the circuit breaker's state machine.

The settings live in the catalog (``Endpoint.resilience``), so retries and breakers are tuned
per endpoint without code. The wrappers that apply them are in ``hybridgraph.models.resilient``.
``CircuitBreaker`` is pure and synchronous (its clock is injectable), one per endpoint per
process (``breaker_for``), so every client of an endpoint sees the same state.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BreakerSettings",
    "BreakerState",
    "CircuitBreaker",
    "Permit",
    "Resilience",
    "RetrySettings",
    "breaker_for",
]


class RetrySettings(BaseModel):
    """Retries of transient failures (timeouts, refused connections, HTTP 429 and 5xx)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(default=3, ge=1, le=20, description="tries per call, the first one included")
    initial_s: float = Field(default=0.5, ge=0, description="the first backoff; it doubles per retry")
    max_s: float = Field(default=20.0, ge=0, description="the longest backoff")
    jitter_s: float = Field(default=0.5, ge=0, description="random extra wait, up to this much")
    max_retry_after_s: float = Field(
        default=60.0, ge=0, description="a longer Retry-After is not waited for: the call fails as rate-limited"
    )
    deadline_s: float | None = Field(
        default=None, gt=0, description="no retry starts once this long has passed since the first try"
    )


class BreakerSettings(BaseModel):
    """A circuit breaker: open after ``failures`` failures within ``window_s``; after ``cooldown_s``
    one probe call goes through (half-open), and its outcome closes or re-opens the circuit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failures: int = Field(default=5, ge=1)
    window_s: float = Field(default=60.0, gt=0)
    cooldown_s: float = Field(default=30.0, ge=0)


class Resilience(BaseModel):
    """How calls to one endpoint handle faults. The call timeout is the endpoint's ``timeout_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()


class BreakerState(StrEnum):
    """Closed: calls go through. Open: calls fail fast. Half-open: one probe call goes through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; ``probe`` marks the one call that tests a half-open circuit."""

    probe: bool = False


class CircuitBreaker:
    """Counts failures in a sliding window and fails calls fast while the circuit is open. Only
    the probe's outcome moves a half-open circuit; calls that started before it opened count
    for nothing once it is open."""

    def __init__(self, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        """The state now (an open circuit turns half-open once its cooldown has passed)."""
        with self._lock:
            return self._state()

    def acquire(self) -> Permit | float:
        """Ask to make a call: a ``Permit``, or the seconds until one may be given (0 while
        another call probes a half-open circuit)."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return Permit()
            if state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return Permit(probe=True)
            opened = self._opened_at if self._opened_at is not None else self.clock()
            return max(0.0, opened + self.settings.cooldown_s - self.clock())

    def success(self, permit: Permit) -> None:
        """A call succeeded: the probe's success closes the circuit."""
        with self._lock:
            if permit.probe:
                self._failures.clear()
                self._opened_at, self._probing = None, False

    def failure(self, permit: Permit) -> None:
        """A call failed: the probe's failure re-opens the circuit; while closed, enough failures
        within the window open it."""
        with self._lock:
            now = self.clock()
            if permit.probe:
                self._opened_at, self._probing = now, False
            elif self._opened_at is None:
                self._failures.append(now)
                while self._failures and self._failures[0] <= now - self.settings.window_s:
                    self._failures.popleft()
                if len(self._failures) >= self.settings.failures:
                    self._opened_at = now

    def release(self, permit: Permit) -> None:
        """A call ended without a verdict on the endpoint (cancelled, or a bad request)."""
        with self._lock:
            if permit.probe:
                self._probing = False

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self._opened_at >= self.settings.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN


_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(key: str, settings: BreakerSettings) -> CircuitBreaker:
    """The process's breaker for an endpoint (``key`` names it with its model and server)."""
    with _BREAKERS_LOCK:
        breaker = _BREAKERS.get(key)
        if breaker is None or breaker.settings != settings:
            breaker = _BREAKERS[key] = CircuitBreaker(settings)
        return breaker
