"""``OllamaModel``: local models served by Ollama, through the official ``ollama.AsyncClient``."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import ollama

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import (
    EndpointUnreachableError,
    ModelCallError,
    ModelError,
    ModelNotPulledError,
    ModelTimeoutError,
    RateLimitedError,
)
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, Usage

__all__ = ["DEFAULT_OLLAMA_HOST", "OllamaModel", "ollama_host"]

DEFAULT_OLLAMA_HOST = "http://localhost:11434"


def ollama_host(endpoint: Endpoint) -> str:
    """The server an endpoint talks to: its ``api_base``, else ``OLLAMA_HOST``, else the default."""
    return endpoint.api_base or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST


class OllamaModel(ModelClient):
    """Chat, streaming, JSON-schema output, embeddings and model listing on an Ollama server."""

    def __init__(self, endpoint: Endpoint, client: ollama.AsyncClient | None = None) -> None:
        super().__init__(endpoint)
        self.host = ollama_host(endpoint)
        self.client = client or ollama.AsyncClient(host=self.host, timeout=endpoint.timeout_s)
        self._digest: str | None = None

    @property
    def model_id(self) -> str:
        """The model name on the Ollama server, e.g. ``qwen2.5:1.5b``."""
        return self.endpoint.spec.model

    async def identity(self, completion: Completion | None = None) -> str:
        """``ollama-digest:<digest>`` of the model on the server (asked once), else the model string."""
        if self._digest is None:
            try:
                listed = await self.client.list()
            except Exception:  # noqa: BLE001 - identity is best effort; the call itself reports errors
                return self.endpoint.model
            digests = {m.model: m.digest for m in listed.models if m.model and m.digest}
            self._digest = digests.get(self.model_id) or digests.get(f"{self.model_id}:latest") or ""
        return f"ollama-digest:{self._digest}" if self._digest else self.endpoint.model

    async def complete(self, request: ChatRequest) -> Completion:
        """One non-streamed chat call."""
        started = time.perf_counter()
        try:
            response = await self.client.chat(**self._chat_args(request), stream=False)
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None
        return self._to_completion(response, response.message.content or "", started)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """NDJSON streaming; the final chunk carries usage from Ollama's ``done`` message."""
        started = time.perf_counter()
        parts: list[str] = []
        try:
            async for part in await self.client.chat(**self._chat_args(request), stream=True):
                delta = part.message.content or ""
                if delta:
                    parts.append(delta)
                    yield StreamChunk(delta=delta)
                if part.done:
                    yield StreamChunk(completion=self._to_completion(part, "".join(parts), started))
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """Embeddings for ``texts`` in one batch, through ``/api/embed``."""
        try:
            response = await self.client.embed(model=self.model_id, input=texts)
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None
        return [list(vector) for vector in response.embeddings]

    async def list_models(self) -> list[str]:
        """Names of the models the server has pulled."""
        try:
            response = await self.client.list()
        except Exception as exc:  # noqa: BLE001 - translated into the error tree
            raise self._translate(exc) from None
        return [m.model for m in response.models if m.model]

    def _chat_args(self, request: ChatRequest) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": request.temperature, **self.endpoint.options}
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if request.stop:
            options["stop"] = list(request.stop)
        if request.seed is not None:
            options["seed"] = request.seed
        args: dict[str, Any] = {
            "model": self.model_id,
            "messages": self._messages(request),
            "options": options,
        }
        if request.json_schema is not None:
            args["format"] = request.json_schema
        if request.logprobs:
            args["logprobs"] = True  # Ollama 0.12.11 and later; older servers answer without them
        return args

    def _to_completion(self, response: Any, text: str, started: float) -> Completion:
        usage = Usage(input_tokens=response.prompt_eval_count or 0, output_tokens=response.eval_count or 0)
        logprobs = getattr(response, "logprobs", None)
        return self._completion(
            text,
            usage,
            started,
            finish_reason=response.done_reason,
            response_model=response.model or None,
            logprobs=tuple(float(p.logprob) for p in logprobs) if logprobs else None,
        )

    def _translate(self, exc: Exception) -> ModelError:
        name, host, model = self.endpoint.name, self.host, self.model_id
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404 and "not found" in str(exc.error).lower():
                return ModelNotPulledError(
                    f"the Ollama server at {host} has no model '{model}'",
                    fix=f"run `ollama pull {model}`",
                    endpoint=name,
                )
            if exc.status_code == 429:
                return RateLimitedError(
                    f"the Ollama server at {host} is busy (HTTP 429) for '{model}'",
                    fix="raise OLLAMA_NUM_PARALLEL or OLLAMA_MAX_QUEUE on the server, or lower the concurrency",
                    endpoint=name,
                )
            return ModelCallError(
                f"the Ollama server at {host} answered HTTP {exc.status_code} for '{model}'",
                fix="check the server log (`ollama serve` output)",
                endpoint=name,
                status=exc.status_code,
            )
        if isinstance(exc, httpx.TimeoutException):
            return ModelTimeoutError(
                f"Ollama at {host} did not answer within {self.endpoint.timeout_s:g}s",
                fix="raise timeout_s for this endpoint in the catalog, or use a smaller model",
                endpoint=name,
            )
        if isinstance(exc, ConnectionError | httpx.TransportError):
            return EndpointUnreachableError(
                f"cannot reach the Ollama server at {host}",
                fix="start it with `ollama serve`, or set OLLAMA_HOST (or the endpoint's api_base) to where it runs",
                endpoint=name,
            )
        return ModelCallError(
            f"Ollama call to '{model}' failed: {type(exc).__name__}",
            fix="re-run with --debug for details",
            endpoint=name,
        )
