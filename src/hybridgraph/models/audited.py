"""``AuditedModel``: an audit-log entry for every model interaction, whatever its outcome.

A non-local call (private or public zone) is announced first: an ``intent`` entry is appended
*before* the wrapped client is called, and when it cannot be written (``AuditError``: a damaged
last line, a cut log, a missing head, a full disk) the call is not made. No entry, no call. After
the call an ``outcome`` entry names the intent (its ``seq``) with the tokens, cost and egress
verdict. A local call gets one ``call`` entry after it.

It sits outside the egress guard, so a blocked request is logged too (with the entity types
and counts that blocked it). The entry names the run, step and routing rule from the run
context, and the payload only by its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

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
    """Writes an intent before each non-local call of the wrapped client, and an entry after every call, to ``log``."""

    def __init__(self, inner: ModelClient, log: AuditLog | None = None) -> None:
        super().__init__(inner)
        self.log = log or AuditLog.default()

    async def complete(self, request: ChatRequest) -> Completion:
        """Log the intent (non-local), delegate, then log the outcome."""
        intent = await self._intend(request)
        try:
            completion = await self.inner.complete(request)
        except BaseException as exc:
            await self._record(request, intent, None, exc)
            raise
        await self._record(request, intent, completion)
        return completion

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Log the intent (non-local), delegate, then log the outcome when the stream ends (or fails)."""
        intent = await self._intend(request)
        completion = None
        try:
            async for chunk in self.inner.stream(request):
                completion = chunk.completion or completion
                yield chunk
        except GeneratorExit:
            await self._record(request, intent, completion, None, outcome="abandoned")
            raise
        except BaseException as exc:
            await self._record(request, intent, None, exc)
            raise
        await self._record(request, intent, completion)

    async def _intend(self, request: ChatRequest) -> int:
        """Append the intent of a non-local call and return its ``seq`` (0 for a local call).
        ``AuditError`` propagates: the caller has not called the wrapped client yet."""
        if self.zone is TrustZone.LOCAL:
            return 0
        record = self._fields(request, await self.identity(None), kind="intent", egress="pending", outcome="pending")
        return (await self.log.aappend(record)).seq

    async def _record(
        self,
        request: ChatRequest,
        intent: int,
        completion: Completion | None,
        exc: BaseException | None = None,
        outcome: str = "",
    ) -> None:
        egress = self._egress(exc)
        blocked = exc.counts if isinstance(exc, EgressBlocked) else {}
        span = trace.get_current_span()  # the chat span of an InstrumentedModel around this one
        span.set_attribute(Attr.EGRESS, egress)
        if blocked:
            span.set_attribute(Attr.EGRESS_BLOCKED, [f"{kind}={n}" for kind, n in sorted(blocked.items())])
        usage = completion.usage if completion else None
        record = self._fields(
            request,
            await self.identity(completion),
            kind="outcome" if intent else "call",
            intent=intent,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=completion.cost_usd if completion else 0.0,
            egress=egress,
            egress_blocked=blocked,
            outcome=outcome or (type(exc).__name__ if exc else "ok"),
        )
        await self.log.aappend(record)

    def _fields(self, request: ChatRequest, model_id: str, **rest: Any) -> AuditRecord:
        """The record of a call of ``request``: run, step, rule, endpoint, zone and payload, plus ``rest``."""
        run = current_run()
        messages = self._messages(request)
        return AuditRecord(
            run_id=run.run_id if run else "",
            step=run.step if run else "",
            rule=run.rule if run else "",
            endpoint=self.name,
            model_id=model_id,
            zone=self.zone.value,
            payload_sha256=payload_sha256(messages, request),
            redactions=placeholder_counts(messages),
            **rest,
        )

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
