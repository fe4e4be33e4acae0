"""The model layer's vocabulary: requests, completions, stream chunks, and ``ModelClient``.

``ModelClient`` has one required method, ``complete``. Streaming and structured
output have working defaults built on it, and backends override them where they can
do better. Behaviour such as tracing, retries and the egress guard is added by
wrapping a client (``WrappedModel``), never by flags.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import StructuredOutputError
from hybridgraph.zones import TrustZone

__all__ = [
    "ChatRequest",
    "Completion",
    "Message",
    "ModelClient",
    "StreamChunk",
    "Usage",
    "WrappedModel",
    "retry_after_s",
]

Role = Literal["system", "user", "assistant"]
C = TypeVar("C", bound="ModelClient")


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class ChatRequest(BaseModel):
    """What to ask a model. ``json_schema`` asks for structured output matching that schema."""

    model_config = ConfigDict(frozen=True)

    messages: tuple[Message, ...] = Field(min_length=1)
    max_tokens: int | None = Field(default=512, gt=0)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    json_schema: dict[str, Any] | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = Field(
        default=False, description="also return each generated token's log-probability, where the backend can"
    )

    @classmethod
    def from_prompt(cls, prompt: str, *, system: str | None = None, **options: Any) -> ChatRequest:
        """A request with an optional system message and one user message."""
        messages = [Message(role="system", content=system)] if system else []
        messages.append(Message(role="user", content=prompt))
        return cls(messages=tuple(messages), **options)


class Usage(BaseModel):
    """Token counts of one call."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


class Completion(BaseModel):
    """A model's answer with its accounting: usage, cost, latency, and where it ran."""

    model_config = ConfigDict(frozen=True)

    text: str
    endpoint: str
    model: str
    zone: TrustZone
    usage: Usage = Usage()
    cost_usd: float = 0.0
    finish_reason: str | None = None
    latency_s: float = 0.0
    response_model: str | None = Field(default=None, description="the model id the server says answered")
    logprobs: tuple[float, ...] | None = Field(
        default=None, description="each generated token's log-probability, when asked for and the backend gives them"
    )

    @property
    def token_confidence(self) -> float | None:
        """The geometric mean probability of the answer's tokens (None without logprobs)."""
        from hybridgraph.models.logprobs import confidence

        return confidence(self.logprobs)

    def parsed(self) -> Any:
        """The answer parsed as JSON; ``StructuredOutputError`` if it is not JSON."""
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise StructuredOutputError(
                f"the answer of endpoint '{self.endpoint}' is not valid JSON "
                f"(line {exc.lineno}, column {exc.colno}; {len(self.text)} characters)",
                fix="ask with a json_schema so the backend constrains its output, or retry",
                endpoint=self.endpoint,
            ) from None


class StreamChunk(BaseModel):
    """A piece of a streamed answer. The last chunk carries the full ``completion``. A chunk with
    ``restart`` set means the answer started over (a retried stream that came back different):
    discard the text shown so far; ``delta`` is the new beginning."""

    model_config = ConfigDict(frozen=True)

    delta: str = ""
    completion: Completion | None = None
    restart: bool = False


class ModelClient(ABC):
    """A model endpoint. Implement ``complete``; override ``stream`` for real streaming."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    @property
    def name(self) -> str:
        """The endpoint's catalog name."""
        return self.endpoint.name

    @property
    def zone(self) -> TrustZone:
        """The endpoint's trust zone."""
        return self.endpoint.zone

    @abstractmethod
    async def complete(self, request: ChatRequest) -> Completion:
        """Answer ``request`` in full."""

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Answer ``request`` piece by piece; the last chunk carries the completion."""
        completion = await self.complete(request)
        yield StreamChunk(delta=completion.text, completion=completion)

    async def complete_json(self, request: ChatRequest, schema: dict[str, Any]) -> tuple[Any, Completion]:
        """Ask for JSON matching ``schema``; return the validated value and the completion."""
        completion = await self.complete(request.model_copy(update={"json_schema": schema}))
        value = completion.parsed()
        _validate_schema(value, schema, completion.endpoint)
        return value, completion

    async def identity(self, completion: Completion | None = None) -> str:
        """What exactly answers, for the audit log: the model id the server reported, else the
        model string. Local backends override it with a content hash (GGUF SHA-256, Ollama digest)."""
        if completion is not None and completion.response_model:
            return f"{self.endpoint.spec.provider.value}:{completion.response_model}"
        return self.endpoint.model

    def layer(self, kind: type[C]) -> C | None:
        """This client or the first client it wraps that is a ``kind`` (e.g. ``EgressGuard``)."""
        client: ModelClient | None = self
        while client is not None:
            if isinstance(client, kind):
                return client
            client = client.inner if isinstance(client, WrappedModel) else None
        return None

    def complete_sync(self, request: ChatRequest) -> Completion:
        """Blocking facade over ``complete`` for scripts and notebooks without a loop."""
        return asyncio.run(self.complete(request))

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections or loaded weights."""

    def _messages(self, request: ChatRequest) -> list[dict[str, str]]:
        """The request's messages as role/content dicts, led by the endpoint's default system prompt
        when the request has no system message of its own."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if self.endpoint.system_prompt and messages[0]["role"] != "system":
            messages.insert(0, {"role": "system", "content": self.endpoint.system_prompt})
        return messages

    def _completion(self, text: str, usage: Usage, started: float, **extra: Any) -> Completion:
        """A ``Completion`` stamped with this endpoint's identity, catalog cost and latency."""
        extra.setdefault("cost_usd", self.endpoint.cost_usd(usage.input_tokens, usage.output_tokens))
        return Completion(
            text=text,
            endpoint=self.endpoint.name,
            model=self.endpoint.spec.model,
            zone=self.endpoint.zone,
            usage=usage,
            latency_s=time.perf_counter() - started,
            **extra,
        )


class WrappedModel(ModelClient):
    """Base of wrappers that add behaviour around another client; delegates everything."""

    def __init__(self, inner: ModelClient) -> None:
        super().__init__(inner.endpoint)
        self.inner = inner

    async def complete(self, request: ChatRequest) -> Completion:
        """Delegate to the wrapped client."""
        return await self.inner.complete(request)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Delegate to the wrapped client."""
        async for chunk in self.inner.stream(request):
            yield chunk

    async def identity(self, completion: Completion | None = None) -> str:
        """The wrapped client's identity."""
        return await self.inner.identity(completion)

    async def aclose(self) -> None:
        """Close the wrapped client."""
        await self.inner.aclose()


def _validate_schema(value: Any, schema: dict[str, Any], endpoint: str) -> None:
    import jsonschema

    try:
        schema_validator(schema).validate(value)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "<root>"
        raise StructuredOutputError(
            f"the answer of endpoint '{endpoint}' does not match the schema at {path}: {exc.validator} check failed",
            fix="retry, or use a backend that constrains output to the schema",
            endpoint=endpoint,
        ) from None


def schema_validator(schema: dict[str, Any]) -> Any:
    """A checked ``jsonschema`` validator for ``schema``, built once per distinct schema
    (checking the schema itself costs far more than validating a value)."""
    return _validator(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _validator(key: str) -> Any:
    import jsonschema

    schema = json.loads(key)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def retry_after_s(headers: Any) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    from email.utils import parsedate_to_datetime

    value = headers.get("retry-after") or headers.get("Retry-After") if headers else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(str(value)).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
