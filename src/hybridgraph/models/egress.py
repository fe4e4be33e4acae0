"""``EgressGuard``: the last check before any byte leaves for a non-local zone.

It re-scans the exact messages about to be sent, in their canonical form (``normalize.canonical``:
NFKC, invisible characters removed, names broken across lines joined). If an entity of a blocked
type remains (outside the placeholders the redactor put in), or a message still holds invisible
characters (``INVISIBLE_CONTROL``: zero-width, bidi and other format characters, NUL and other
controls, which the redactor removes), it raises ``EgressBlocked`` and the call is not made.
It never sends "just this once". Every check produces an ``EgressVerdict`` with entity types and
counts, never values, for the audit log.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from hybridgraph.errors import EgressBlocked
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, WrappedModel
from hybridgraph.tools.pii.findings import Finding, overlaps_any
from hybridgraph.tools.pii.normalize import canonical, invisible_count
from hybridgraph.tools.pii.vault import PLACEHOLDER

__all__ = ["DEFAULT_ALLOWED_TYPES", "INVISIBLE_CONTROL", "EgressGuard", "EgressVerdict", "Scanner"]

#: A function that finds sensitive spans in text (``PiiDetector.detect``).
Scanner = Callable[[str], Sequence[Finding]]

#: What the guard counts invisible characters as: never allowed to leave.
INVISIBLE_CONTROL = "INVISIBLE_CONTROL"

#: Entity types that may leave by default: place names ("the capital of France").
DEFAULT_ALLOWED_TYPES: frozenset[str] = frozenset({"LOCATION"})


@dataclass(frozen=True)
class EgressVerdict:
    """The outcome of one egress check: what was found (types and counts only) and the decision."""

    endpoint: str
    zone: str
    allowed: bool
    blocked_counts: dict[str, int]
    checked_chars: int
    seconds: float
    at: float = field(default_factory=time.time)


class EgressGuard(WrappedModel):
    """Wraps a non-local client; blocks any request that still carries sensitive entities."""

    def __init__(
        self,
        inner: ModelClient,
        scanner: Scanner,
        *,
        allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES,
        on_verdict: Callable[[EgressVerdict], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self.scanner = scanner
        self.allowed_types = allowed_types
        self.on_verdict = on_verdict
        self.verdicts: list[EgressVerdict] = []

    async def complete(self, request: ChatRequest) -> Completion:
        """Check, then delegate."""
        await self.check(request)
        return await self.inner.complete(request)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Check, then delegate."""
        await self.check(request)
        async for chunk in self.inner.stream(request):
            yield chunk

    async def check(self, request: ChatRequest) -> EgressVerdict:
        """Scan every outgoing message (off the event loop); raise ``EgressBlocked`` if any must not leave."""
        started = time.perf_counter()
        texts = [m.content for m in request.messages]
        if self.endpoint.system_prompt:
            texts.append(self.endpoint.system_prompt)
        counts = await asyncio.to_thread(self._count_blocked, texts)
        verdict = EgressVerdict(
            self.name, self.zone.value, not counts, counts, sum(map(len, texts)), time.perf_counter() - started
        )
        self.verdicts.append(verdict)
        if self.on_verdict is not None:
            self.on_verdict(verdict)
        if counts:
            found = ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items()))
            raise EgressBlocked(
                f"blocked a request to endpoint '{self.name}' ({self.zone.value} zone): it still contains {found}",
                fix="pseudonymise the text with the redactor first, or route this step to a local endpoint",
                counts=counts,
            )
        return verdict

    def _count_blocked(self, texts: list[str]) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for raw in texts:
            hidden = invisible_count(raw)
            if hidden:
                counts[INVISIBLE_CONTROL] += hidden
            text = canonical(raw).text
            placeholders = [Finding(m.start(), m.end(), "PLACEHOLDER", 1.0) for m in PLACEHOLDER.finditer(text)]
            starts = [p.start for p in placeholders]
            for finding in self.scanner(text):
                if finding.entity_type in self.allowed_types:
                    continue
                if overlaps_any(placeholders, starts, finding):
                    continue  # a redactor placeholder, not data
                counts[finding.entity_type] += 1
        return dict(counts)
