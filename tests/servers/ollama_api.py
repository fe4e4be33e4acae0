"""An Ollama-API server for tests, answered by a real GGUF model through llama.cpp.

It speaks the parts of Ollama's HTTP API that hybridgraph uses: ``/api/chat`` and
``/api/generate`` (JSON or NDJSON streaming, ``format`` as "json" or a JSON schema,
``options``), ``/api/tags``, ``/api/embed`` and ``/api/version``. Unknown models get
Ollama's 404. ``GET /_test/requests`` returns every request body received, so tests can
count calls and inspect what arrived.

Run: ``python tests/servers/ollama_api.py --port 11435 --model smollm2:135m=/path/to/model.gguf``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import llama_cpp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hybridgraph.models.logprobs import TokenLogprobs


class ModelHost:
    """One GGUF file, loaded lazily for chat and (separately) for embeddings."""

    def __init__(self, name: str, path: Path, n_ctx: int) -> None:
        self.name, self.path, self.n_ctx = name, path, n_ctx
        self.lock = threading.Lock()
        self._chat: llama_cpp.Llama | None = None
        self._embed: llama_cpp.Llama | None = None
        self.logprobs = TokenLogprobs()  # Ollama's "logprobs": true, from the same sampler

    @property
    def chat(self) -> llama_cpp.Llama:
        if self._chat is None:
            self._chat = llama_cpp.Llama(model_path=str(self.path), n_ctx=self.n_ctx, verbose=False)
            self.logprobs.attach(self._chat)
        return self._chat

    @property
    def embedder(self) -> llama_cpp.Llama:
        if self._embed is None:
            self._embed = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                embedding=True,
                pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                verbose=False,
            )
        return self._embed

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.name,
            "size": self.path.stat().st_size,
            "modified_at": _now(),
            "digest": f"sha256:{_sha256(self.path)}",
            "details": {"format": "gguf", "family": "llama", "parameter_size": "135M", "quantization_level": "Q8_0"},
        }


@functools.cache
def _sha256(path: Path) -> str:
    """The file's SHA-256 (Ollama's digests are content hashes too)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OllamaAPI:
    """The route handlers, over a set of hosted models."""

    def __init__(self, models: dict[str, ModelHost]) -> None:
        self.models = models
        self.received: list[dict[str, Any]] = []

    async def _body(self, request: Request) -> dict[str, Any]:
        body = await request.json()
        self.received.append({"path": request.url.path, "body": body})
        return body

    def _host(self, name: str) -> ModelHost | None:
        return self.models.get(name) or self.models.get(name.removesuffix(":latest"))

    async def chat(self, request: Request) -> Response:
        body = await self._body(request)
        host = self._host(body.get("model", ""))
        if host is None:
            return _not_found(body.get("model", ""))
        return await self._answer(host, body, body.get("messages") or [], "message")

    async def generate(self, request: Request) -> Response:
        body = await self._body(request)
        host = self._host(body.get("model", ""))
        if host is None:
            return _not_found(body.get("model", ""))
        messages = [{"role": "system", "content": body["system"]}] if body.get("system") else []
        messages.append({"role": "user", "content": body.get("prompt", "")})
        return await self._answer(host, body, messages, "response")

    async def _answer(
        self, host: ModelHost, body: dict[str, Any], messages: list[dict[str, Any]], key: str
    ) -> Response:
        args = _llama_args(body, messages)
        if body.get("stream", True):
            return StreamingResponse(self._ndjson(host, args, key), media_type="application/x-ndjson")
        started = time.perf_counter_ns()
        result, logprobs = await asyncio.to_thread(_complete, host, args, bool(body.get("logprobs")))
        choice = result["choices"][0]
        payload = _envelope(host.name, key, choice["message"]["content"] or "")
        if logprobs is not None:
            payload["logprobs"] = [{"token": "", "logprob": v, "top_logprobs": []} for v in logprobs]
        payload.update(
            _final(
                result["usage"]["prompt_tokens"], result["usage"]["completion_tokens"], choice["finish_reason"], started
            )
        )
        return JSONResponse(payload)

    def _ndjson(self, host: ModelHost, args: dict[str, Any], key: str) -> Iterator[bytes]:
        started = time.perf_counter_ns()
        with host.lock:
            llama = host.chat
            count, finish = 0, "stop"
            for chunk in llama.create_chat_completion(**args, stream=True):
                choice = chunk["choices"][0]
                delta = choice["delta"].get("content")
                if delta:
                    count += 1
                    yield _line(_envelope(host.name, key, delta) | {"done": False})
                finish = choice.get("finish_reason") or finish
            prompt_tokens = max(llama.n_tokens - count, 0)
        final = _envelope(host.name, key, "") | _final(prompt_tokens, count, finish, started)
        yield _line(final)

    async def embed(self, request: Request) -> Response:
        body = await self._body(request)
        host = self._host(body.get("model", ""))
        if host is None:
            return _not_found(body.get("model", ""))
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        with host.lock:
            vectors = host.embedder.embed(texts, normalize=True)
        tokens = sum(len(host.embedder.tokenize(t.encode())) for t in texts)
        return JSONResponse({"model": host.name, "embeddings": vectors, "prompt_eval_count": tokens})

    async def tags(self, request: Request) -> Response:
        return JSONResponse({"models": [h.describe() for h in self.models.values()]})

    async def version(self, request: Request) -> Response:
        return JSONResponse({"version": "0.6.0-hybridgraph-test"})

    async def test_requests(self, request: Request) -> Response:
        return JSONResponse(self.received)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/chat", self.chat, methods=["POST"]),
                Route("/api/generate", self.generate, methods=["POST"]),
                Route("/api/embed", self.embed, methods=["POST"]),
                Route("/api/tags", self.tags, methods=["GET"]),
                Route("/api/version", self.version, methods=["GET"]),
                Route("/_test/requests", self.test_requests, methods=["GET"]),
            ]
        )


def _complete(host: ModelHost, args: dict[str, Any], logprobs: bool) -> tuple[dict[str, Any], list[float] | None]:
    """The completion (off the event loop: the server stays responsive), with its tokens'
    log-probabilities when the request asked for them."""
    with host.lock:
        llama = host.chat
        if not logprobs:
            return dict(llama.create_chat_completion(**args)), None
        with host.logprobs.recording() as values:
            result = dict(llama.create_chat_completion(**args))
        return result, list(values)


def _llama_args(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    options = body.get("options") or {}
    args: dict[str, Any] = {
        "messages": [{"role": m["role"], "content": m.get("content", "")} for m in messages],
        "temperature": options.get("temperature", 0.8),
        "max_tokens": options.get("num_predict", 128) if options.get("num_predict", 128) > 0 else None,
        "stop": options.get("stop") or None,
        # Ollama's sampling defaults
        "repeat_penalty": options.get("repeat_penalty", 1.1),
        "top_k": options.get("top_k", 40),
        "top_p": options.get("top_p", 0.9),
    }
    if "seed" in options:
        args["seed"] = options["seed"]
    fmt = body.get("format")
    if fmt == "json":
        args["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict):
        args["response_format"] = {"type": "json_object", "schema": fmt}
    return args


def _envelope(model: str, key: str, content: str) -> dict[str, Any]:
    value: Any = {"role": "assistant", "content": content} if key == "message" else content
    return {"model": model, "created_at": _now(), key: value}


def _final(prompt_tokens: int, eval_tokens: int, finish: str | None, started_ns: int) -> dict[str, Any]:
    total = time.perf_counter_ns() - started_ns
    return {
        "done": True,
        "done_reason": "length" if finish == "length" else "stop",
        "total_duration": total,
        "load_duration": 0,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 0,
        "eval_count": eval_tokens,
        "eval_duration": total,
    }


def _not_found(model: str) -> Response:
    return JSONResponse({"error": f"model '{model}' not found"}, status_code=404)


def _line(payload: dict[str, Any]) -> bytes:
    return (json.dumps(payload) + "\n").encode()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", action="append", required=True, help="NAME=PATH.gguf (repeatable)")
    parser.add_argument("--n-ctx", type=int, default=2048)
    ns = parser.parse_args()
    models = {}
    for item in ns.model:
        name, _, path = item.partition("=")
        models[name] = ModelHost(name, Path(path), ns.n_ctx)
    uvicorn.run(OllamaAPI(models).app(), host=ns.host, port=ns.port, log_level="warning")


if __name__ == "__main__":
    main()
