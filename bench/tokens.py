"""P4: tokens/s through ``LlamaCppModel`` vs raw llama-cpp-python, same GGUF, same prompts.

Each side runs in a fresh interpreter of its own, as a user's program would:

- **raw**: a plain ``llama_cpp.Llama`` (the load options ``LlamaCppModel`` uses), called the
  plain way on the main thread with the very arguments the framework sends (messages,
  sampling, limits);
- **framework**: ``LlamaCppModel.complete`` from one event loop, which runs llama.cpp on its
  worker thread, with its sampler hook for token log-probabilities attached.

Both sides in one process measured something else: llama.cpp's OpenMP team belongs to the
thread that calls it, so switching between the main thread and the worker thread left the
other team spinning on one of the two cores. Both sides lost about a quarter of their speed
that way (about 80 tok/s against 103 alone), the framework a few percent more, which no
program that uses one of them sees. Each process makes one warm-up call, not measured. This
VM's speed drifts by up to 25% within a run, so the processes go in ABBA order (raw,
framework, framework, raw) to cancel the drift.

Run one side: ``python -m bench.tokens raw|framework [--quick]`` (prints tokens and seconds).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from bench.common import Result

if TYPE_CHECKING:
    from hybridgraph.models import ChatRequest
    from hybridgraph.models.llamacpp import LlamaCppModel

PROMPTS = [
    "Explain what a limitation of liability clause does in a supplier contract.",
    "List three risks of an automatic renewal clause.",
    "What does 'termination for convenience' mean?",
    "Summarise why governing law matters in a contract.",
]
SIDES = ("raw", "framework")
N_CTX = 2048


def run(quick: bool = False) -> Result:
    totals = {side: [0.0, 0.0] for side in SIDES}  # tokens, seconds
    for _ in range(1 if quick else 2):
        for side in ("raw", "framework", "framework", "raw"):
            tokens, seconds = _in_fresh_interpreter(side, quick)
            totals[side][0] += tokens
            totals[side][1] += seconds
    raw_rate, fw_rate = (totals[s][0] / totals[s][1] for s in SIDES)
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


def _in_fresh_interpreter(side: str, quick: bool) -> tuple[float, float]:
    args = [sys.executable, "-m", "bench.tokens", side, *(["--quick"] if quick else [])]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"P4's {side} side failed: {done.stderr.strip().splitlines()[-1:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return float(measured["tokens"]), float(measured["seconds"])


def _requests(quick: bool) -> list[ChatRequest]:
    from hybridgraph.models import ChatRequest

    # Answers of 128 tokens even in a quick run: with 48, one process's rate varied by 20%.
    return [ChatRequest.from_prompt(p, max_tokens=128) for p in PROMPTS] * (1 if quick else 2)


def _model() -> LlamaCppModel:
    from hybridgraph.catalog import Endpoint
    from hybridgraph.models.llamacpp import LlamaCppModel

    return LlamaCppModel(Endpoint(name="bench", model="llamacpp:smollm2", options={"n_ctx": N_CTX}))


def measure_raw(quick: bool) -> tuple[int, float]:
    """Plain llama-cpp-python on the main thread: completion tokens and seconds."""
    import llama_cpp

    framework = _model()  # only for the GGUF's path and the arguments it would send
    llama = llama_cpp.Llama(
        model_path=str(framework.path), n_ctx=N_CTX, n_threads=os.cpu_count() or 1, n_batch=512, verbose=False
    )
    requests = _requests(quick)
    llama.create_chat_completion(**framework._args(requests[-1]))  # warm-up, not measured
    tokens, seconds = 0, 0.0
    for request in requests:
        started = time.perf_counter()
        result = llama.create_chat_completion(**framework._args(request))
        seconds += time.perf_counter() - started
        tokens += result["usage"]["completion_tokens"]  # type: ignore[index]
    return tokens, seconds


def measure_framework(quick: bool) -> tuple[int, float]:
    """``LlamaCppModel.complete`` from one event loop: completion tokens and seconds."""

    async def main() -> tuple[int, float]:
        model = _model()
        requests = _requests(quick)
        await model.complete(requests[-1])  # warm-up (and the model load), not measured
        tokens, seconds = 0, 0.0
        for request in requests:
            started = time.perf_counter()
            completion = await model.complete(request)
            seconds += time.perf_counter() - started
            tokens += completion.usage.output_tokens
        await model.aclose()
        return tokens, seconds

    return asyncio.run(main())


if __name__ == "__main__":
    side = sys.argv[1] if len(sys.argv) > 1 else ""
    if side not in SIDES:
        raise SystemExit(f"usage: python -m bench.tokens {'|'.join(SIDES)} [--quick]")
    quick_run = "--quick" in sys.argv[2:]
    count, elapsed = (measure_raw if side == "raw" else measure_framework)(quick_run)
    print(json.dumps({"tokens": count, "seconds": elapsed}))
