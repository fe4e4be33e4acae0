"""``LiteLLMModel``: cloud (or self-hosted OpenAI-compatible) models through LiteLLM.

``litellm`` takes seconds to import, so it is imported on first use. Its price map is
read from the copy inside the package (``LITELLM_LOCAL_MODEL_COST_MAP``) unless the user
says otherwise, so importing it sends nothing over the network. Its own OpenTelemetry
callback stays off: hybridgraph traces model calls itself.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import (
    ContextOverflowError,
    CredentialsError,
    EndpointUnreachableError,
    HybridGraphError,
    ModelCallError,
    ModelTimeoutError,
    RateLimitedError,
    UnknownModelError,
)
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, Usage, retry_after_s

__all__ = ["LiteLLMModel", "import_litellm", "missing_credentials"]

#: Sent as the key to self-hosted OpenAI-compatible servers that need none.
_NO_KEY = "sk-no-key-required"


def import_litellm() -> Any:
    """Import litellm quietly, with the local price map unless the user chose otherwise."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # litellm's own TypedDicts trip a pydantic warning on first use; it is noise for our users.
    warnings.filterwarnings("ignore", message="Item .* on TypedDict class", category=UserWarning)
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def missing_credentials(endpoint: Endpoint) -> list[str]:
    """Environment variables this endpoint needs but which are unset (empty when ready)."""
    if endpoint.api_key_env:
        return [] if os.environ.get(endpoint.api_key_env) else [endpoint.api_key_env]
    if endpoint.api_base:
        return []  # a self-hosted server: no provider key is expected
    report = import_litellm().validate_environment(model=endpoint.spec.model)
    return list(report.get("missing_keys") or [])


class LiteLLMModel(ModelClient):
    """Any LiteLLM-supported provider: ``litellm:<provider>/<model>``."""

    async def complete(self, request: ChatRequest) -> Completion:
        """One non-streamed call."""
        started = time.perf_counter()
        litellm = self._prepare()
        try:
            response = await litellm.acompletion(**self._args(request))
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None
        return self._to_completion(litellm, response, started)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Server-sent events; usage comes from the server or LiteLLM's chunk builder."""
        started = time.perf_counter()
        litellm = self._prepare()
        args = self._args(request)
        chunks: list[Any] = []
        try:
            response = await litellm.acompletion(**args, stream=True, stream_options={"include_usage": True})
            async for chunk in response:
                chunks.append(chunk)
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    yield StreamChunk(delta=delta)
        except HybridGraphError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None
        built = litellm.stream_chunk_builder(chunks, messages=args["messages"])
        yield StreamChunk(completion=self._to_completion(litellm, built, started))

    def _prepare(self) -> Any:
        missing = missing_credentials(self.endpoint)
        if missing:
            raise CredentialsError(
                f"endpoint '{self.name}' ({self.endpoint.model}) has no credentials: {', '.join(missing)} is not set",
                fix=f"export {missing[0]}=<your key>, or choose a local endpoint",
                endpoint=self.name,
            )
        return import_litellm()

    def _args(self, request: ChatRequest) -> dict[str, Any]:
        endpoint = self.endpoint
        args: dict[str, Any] = {
            "model": endpoint.spec.model,
            "messages": self._messages(request),
            "temperature": request.temperature,
            "timeout": endpoint.timeout_s,
            "num_retries": 0,  # retries are a wrapper's job, configured per endpoint
            **endpoint.options,
        }
        if request.max_tokens is not None:
            args["max_tokens"] = request.max_tokens
        if request.stop:
            args["stop"] = list(request.stop)
        if request.seed is not None:
            args["seed"] = request.seed
        if endpoint.api_base:
            args["api_base"] = endpoint.api_base
        if endpoint.api_key_env or endpoint.api_base:
            args["api_key"] = os.environ.get(endpoint.api_key_env or "", "") or _NO_KEY
        if request.json_schema is not None:
            args["response_format"] = _response_format(endpoint.structured_output, request.json_schema)
        return args

    def _to_completion(self, litellm: Any, response: Any, started: float) -> Completion:
        usage_obj = getattr(response, "usage", None)
        usage = Usage(
            input_tokens=getattr(usage_obj, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage_obj, "completion_tokens", 0) or 0,
        )
        choice = response.choices[0]
        extra: dict[str, Any] = {
            "finish_reason": choice.finish_reason,
            "response_model": getattr(response, "model", None),
        }
        if not self.endpoint.has_price:
            extra["cost_usd"] = _price_map_cost(litellm, response)
        return self._completion(choice.message.content or "", usage, started, **extra)

    def _translate(self, exc: Exception) -> HybridGraphError:
        litellm = import_litellm()
        name, model = self.name, self.endpoint.model
        where = self.endpoint.api_base or "the provider"
        if isinstance(exc, litellm.AuthenticationError):
            key = self.endpoint.api_key_env or "the provider's API key variable"
            return CredentialsError(
                f"{where} rejected the credentials for '{model}'", fix=f"check {key}", endpoint=name
            )
        if isinstance(exc, litellm.Timeout) or _caused_by(exc, httpx.TimeoutException):
            return ModelTimeoutError(
                f"'{model}' did not answer within {self.endpoint.timeout_s:g}s",
                fix="raise timeout_s for this endpoint in the catalog",
                endpoint=name,
            )
        transport = (httpx.TransportError, ConnectionError, litellm.APIConnectionError)
        if isinstance(exc, litellm.ServiceUnavailableError) or _caused_by(exc, transport):
            return EndpointUnreachableError(
                f"cannot reach {where} for '{model}'",
                fix="check the network, api_base and the provider's status page",
                endpoint=name,
            )
        if isinstance(exc, litellm.RateLimitError):
            wait = retry_after_s(_headers(exc))
            return RateLimitedError(
                f"{where} is rate-limiting calls to '{model}'" + (f" (retry after {wait:g}s)" if wait else ""),
                fix="wait and re-run, or raise this endpoint's retry settings in the catalog",
                endpoint=name,
                retry_after_s=wait,
            )
        if isinstance(exc, litellm.ContextWindowExceededError):
            return ContextOverflowError(
                f"the request does not fit the context window of '{model}'",
                fix="shorten the input, or choose an endpoint with a larger context window",
                endpoint=name,
            )
        if isinstance(exc, litellm.NotFoundError):
            return UnknownModelError(
                f"{where} does not serve '{model}'",
                fix="check the model name after 'litellm:' against the provider's list",
            )
        status = getattr(exc, "status_code", None)
        return ModelCallError(
            f"call to '{model}' failed: {type(exc).__name__}" + (f" (HTTP {status})" if status else ""),
            fix="re-run with --debug for details",
            endpoint=name,
            status=status if isinstance(status, int) else None,
        )


def _headers(exc: Exception) -> Any:
    """The HTTP response headers behind a LiteLLM exception, where it kept them."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers:
        return headers
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None) or {}


def _caused_by(exc: BaseException, types: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
    """True if ``exc`` or any exception in its cause/context chain is one of ``types``.

    LiteLLM re-raises a refused connection as ``InternalServerError``; the chain tells the truth.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, types):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _response_format(dialect: str, schema: dict[str, Any]) -> dict[str, Any]:
    if dialect == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}


def _price_map_cost(litellm: Any, response: Any) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response))
    except Exception:  # noqa: BLE001 - a model missing from the price map costs what the catalog says: 0
        return 0.0
