"""``InstrumentedModel``: a ``chat <model>`` CLIENT span around every call of a client.

Attributes follow DESIGN.md §5: provider, requested and answering model, token usage, cost,
zone, endpoint and server address. No message content unless the user opts in (see
``hybridgraph.telemetry.content``), and then only pseudonymised text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, WrappedModel
from hybridgraph.modelspec import Provider
from hybridgraph.telemetry.content import capture_enabled, messages_attribute
from hybridgraph.telemetry.context import current_run
from hybridgraph.telemetry.keys import Attr, Op, span_name
from hybridgraph.telemetry.setup import active_telemetry
from hybridgraph.telemetry.spans import enter, leave, mark_error

__all__ = ["InstrumentedModel"]

_PROVIDER_NAMES = {Provider.OLLAMA: "ollama", Provider.LLAMACPP: "llama.cpp", Provider.FUNCTION: "function"}


class InstrumentedModel(WrappedModel):
    """Traces each call of the wrapped client as a ``chat`` span."""

    def __init__(self, inner: ModelClient) -> None:
        super().__init__(inner)
        spec = self.endpoint.spec
        self._name = span_name(Op.CHAT, spec.model)
        self._static: dict[str, AttributeValue] = {
            Attr.OPERATION: Op.CHAT.value,
            Attr.PROVIDER: _provider(spec.provider, spec.model),
            Attr.REQUEST_MODEL: spec.model,
            Attr.ENDPOINT: self.name,
            Attr.ZONE: self.zone.value,
            **self._server(),
        }

    async def complete(self, request: ChatRequest) -> Completion:
        """Delegate inside the span; record usage and cost on it."""
        span, token = enter(self._name, self._attributes(request, streamed=False), SpanKind.CLIENT)
        try:
            completion = await self.inner.complete(request)
            self._finish(span, completion)
        except BaseException as exc:
            mark_error(span, exc)
            raise
        finally:
            leave(span, token)
        return completion

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Delegate inside the span; the span is current only while the wrapped stream works."""
        attributes = self._attributes(request, streamed=True)
        span = active_telemetry().tracer.start_span(self._name, kind=SpanKind.CLIENT, attributes=attributes)
        chunks = self.inner.stream(request).__aiter__()
        completion = None
        try:
            while True:
                with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
                completion = chunk.completion or completion
                yield chunk
            if completion is not None:
                self._finish(span, completion)
        except GeneratorExit:  # the caller stopped reading: not an error
            raise
        except BaseException as exc:
            mark_error(span, exc)
            raise
        finally:
            span.end()

    def _attributes(self, request: ChatRequest, streamed: bool) -> dict[str, AttributeValue]:
        run = current_run()
        attrs = {**self._static, Attr.REQUEST_TEMPERATURE: request.temperature, Attr.STREAMED: streamed}
        if request.max_tokens is not None:
            attrs[Attr.REQUEST_MAX_TOKENS] = request.max_tokens
        if run is not None:
            attrs.update({Attr.CONVERSATION_ID: run.run_id, Attr.STEP: run.step})
        if capture_enabled():
            attrs[Attr.INPUT_MESSAGES] = messages_attribute(
                [(m["role"], m["content"]) for m in self._messages(request)]
            )
        return attrs

    def _finish(self, span: Span, completion: Completion) -> None:
        span.set_attributes(
            {
                Attr.INPUT_TOKENS: completion.usage.input_tokens,
                Attr.OUTPUT_TOKENS: completion.usage.output_tokens,
                Attr.COST_USD: completion.cost_usd,
                Attr.RESPONSE_MODEL: completion.response_model or completion.model,
                Attr.FINISH_REASONS: [completion.finish_reason or "unknown"],
            }
        )
        if capture_enabled():
            span.set_attribute(Attr.OUTPUT_MESSAGES, messages_attribute([("assistant", completion.text)]))

    def _server(self) -> dict[str, AttributeValue]:
        base = self.endpoint.api_base
        if base is None and self.endpoint.spec.provider is Provider.OLLAMA:
            from hybridgraph.models.ollama import ollama_host

            base = ollama_host(self.endpoint)
        if not base:
            return {}
        parts = urlsplit(base if "://" in base else f"http://{base}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return {Attr.SERVER_ADDRESS: parts.hostname or "", Attr.SERVER_PORT: port}


def _provider(provider: Provider, model: str) -> str:
    if provider is Provider.LITELLM:
        return model.split("/", 1)[0] if "/" in model else "openai"
    return _PROVIDER_NAMES[provider]
