"""``AuditedModel``: one audit-log entry per model interaction, whatever its outcome.

It sits outside the egress guard, so a blocked request is logged too (with the entity types
and counts that blocked it). The entry names the run, step and routing rule from the run
context, and the payload only by its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator

from opentelemetry import trace

from hybridgraph.errors import EgressBlocked
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, WrappedModel
from hybridgraph.telemetry.audit import AuditLog, AuditRecord
from hybridgraph.telemetry.context import current_run
from hybridgraph.telemetry.keys import Attr
from hybridgraph.tools.pii.vault import PLACEHOLDER
from hybridgraph.zones import TrustZone

__all__ = ["AuditedModel", "payload_sha256", "placeholder_counts"]


class AuditedModel(WrappedModel):
    """Writes an ``AuditRecord`` for each call of the wrapped client to ``log``."""

    def __init__(self, inner: ModelClient, log: AuditLog | None = None) -> None:
        super().__init__(inner)
        self.log = log or AuditLog.default()

    async def complete(self, request: ChatRequest) -> Completion:
        """Delegate, then log the outcome."""
        try:
            completion = await self.inner.complete(request)
        except BaseException as exc:
            await self._record(request, None, exc)
            raise
        await self._record(request, completion)
        return completion

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Delegate, then log the outcome when the stream ends (or fails)."""
        completion = None
        try:
            async for chunk in self.inner.stream(request):
                completion = chunk.completion or completion
                yield chunk
        except GeneratorExit:
            await self._record(request, completion, None, outcome="abandoned")
            raise
        except BaseException as exc:
            await self._record(request, None, exc)
            raise
        await self._record(request, completion)

    async def _record(
        self, request: ChatRequest, completion: Completion | None, exc: BaseException | None = None, outcome: str = ""
    ) -> None:
        run = current_run()
        messages = self._messages(request)
        egress = self._egress(exc)
        blocked = exc.counts if isinstance(exc, EgressBlocked) else {}
        span = trace.get_current_span()  # the chat span of an InstrumentedModel around this one
        span.set_attribute(Attr.EGRESS, egress)
        if blocked:
            span.set_attribute(Attr.EGRESS_BLOCKED, [f"{kind}={n}" for kind, n in sorted(blocked.items())])
        usage = completion.usage if completion else None
        record = AuditRecord(
            run_id=run.run_id if run else "",
            step=run.step if run else "",
            rule=run.rule if run else "",
            endpoint=self.name,
            model_id=await self.identity(completion),
            zone=self.zone.value,
            payload_sha256=payload_sha256(messages, request),
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=completion.cost_usd if completion else 0.0,
            redactions=placeholder_counts(messages),
            egress=egress,
            egress_blocked=blocked,
            outcome=outcome or (type(exc).__name__ if exc else "ok"),
        )
        await self.log.aappend(record)

    def _egress(self, exc: BaseException | None) -> str:
        if self.zone is TrustZone.LOCAL:
            return "local"
        if isinstance(exc, EgressBlocked):
            return "blocked"
        from hybridgraph.models.egress import EgressGuard

        return "passed" if self.inner.layer(EgressGuard) is not None else "unguarded"


def placeholder_counts(messages: list[dict[str, str]]) -> dict[str, int]:
    """How many redactor placeholders (``<PERSON_1>``) the messages carry, per entity type."""
    kinds = (m.group(0)[1:].rsplit("_", 1)[0] for x in messages for m in PLACEHOLDER.finditer(x["content"]))
    return dict(Counter(kinds))


def payload_sha256(messages: list[dict[str, str]], request: ChatRequest) -> str:
    """The SHA-256 of what is sent: the messages (with the endpoint's system prompt) and options."""
    body = {"messages": messages, **request.model_dump(exclude={"messages"})}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
