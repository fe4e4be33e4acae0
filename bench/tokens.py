"""P4: tokens/s through ``LlamaCppModel`` vs raw llama-cpp-python, same loaded GGUF, same prompts.

Both paths share one loaded ``Llama`` and the same generation settings, so only the framework
differs. The baseline calls llama-cpp-python the plain way, on the main thread; the framework
runs llama.cpp on its own worker thread. llama.cpp's OpenMP team belongs to the calling
thread, so switching threads costs a warm-up; the runs therefore alternate in blocks and the
first call of each block is a warm-up, not measured. This VM's speed drifts by up to 25%
within a run, so blocks go in ABBA order (raw, framework, framework, raw) to cancel the drift.
"""

from __future__ import annotations

import asyncio
import time

from bench.common import Result
from hybridgraph.catalog import Endpoint
from hybridgraph.models import ChatRequest
from hybridgraph.models.llamacpp import LlamaCppModel

PROMPTS = [
    "Explain what a limitation of liability clause does in a supplier contract.",
    "List three risks of an automatic renewal clause.",
    "What does 'termination for convenience' mean?",
    "Summarise why governing law matters in a contract.",
]


def run(quick: bool = False) -> Result:
    model = LlamaCppModel(Endpoint(name="bench", model="llamacpp:smollm2", options={"n_ctx": 2048}))
    requests = [ChatRequest.from_prompt(p, max_tokens=48 if quick else 128) for p in PROMPTS]
    raw = [0.0, 0.0]  # tokens, seconds
    framework = [0.0, 0.0]
    for _ in range(1 if quick else 2):
        _block(lambda r: _raw(model, r), requests, raw)
        _block(lambda r: _framework(model, r), requests, framework)
        _block(lambda r: _framework(model, r), requests, framework)
        _block(lambda r: _raw(model, r), requests, raw)
    raw_rate, fw_rate = raw[0] / raw[1], framework[0] / framework[1]
    return Result(
        "P4",
        "local tokens/s: LlamaCppModel vs raw llama-cpp-python",
        "tok/s",
        fw_rate,
        raw_rate,
        "raw llama-cpp-python",
        ">= 0.95",
        fw_rate / raw_rate >= 0.95,
    )


def _block(call, requests: list[ChatRequest], totals: list[float]) -> None:  # type: ignore[no-untyped-def]
    call(requests[-1])  # warm-up after a thread switch; not measured
    for request in requests:
        tokens, seconds = call(request)
        totals[0] += tokens
        totals[1] += seconds


def _raw(model: LlamaCppModel, request: ChatRequest) -> tuple[int, float]:
    args = model._args(request)  # the very settings the framework sends: messages, sampling, limits
    started = time.perf_counter()
    result = model.llama.create_chat_completion(**args)
    return result["usage"]["completion_tokens"], time.perf_counter() - started  # type: ignore[index]


def _framework(model: LlamaCppModel, request: ChatRequest) -> tuple[int, float]:
    started = time.perf_counter()
    completion = asyncio.run(model.complete(request))
    return completion.usage.output_tokens, time.perf_counter() - started
