"""P3: 100 concurrent pipeline runs with 50 ms of simulated model latency.

The pipeline is P1's 5-node hybrid cascade (redact → route → solve_local → verify → finish)
as a user runs it, tracing on (spans, OTLP/HTTP export to a loopback receiver, the run trace
files), over a ``FunctionModel`` that answers after 50 ms. The baseline is the bare LangGraph
graph of the same shape over the same model, in the same run.

The concurrency-bound ideal: ``N`` runs at once finish in the time one run takes alone, so the
ideal throughput is ``N / t1`` with ``t1`` the median time of one run on its own (the model's
50 ms plus the run's own work). The value is the share of it reached: ``t1 / tN``, with ``tN``
the wall time of ``N`` runs started together. A share below 1 is CPU work that waits its turn
on the interpreter; on this 2-core machine the runs share one event loop, as in one worker of
LangGraph Server. Peak memory per run is the peak traced (``tracemalloc``) Python allocation
during the ``N`` runs, over ``N``, in a separate pass.

Run: ``python -m bench.concurrency [--quick]``
"""

from __future__ import annotations

import asyncio
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

from bench.cascade import DOCUMENT, graphs, traced_telemetry
from bench.common import Result, standalone

RUNS = 100
LATENCY_S = 0.05
GOAL = 0.80


def measure(rounds: int, runs: int = RUNS) -> dict[str, float]:
    """Per graph: ``t1`` (one run alone), ``tN`` (``runs`` at once), their share, and the peak
    traced memory per run; the medians over ``rounds`` alternating rounds."""
    from hybridgraph.telemetry import workflow
    from hybridgraph.telemetry.setup import activate

    telemetry = traced_telemetry()
    activate(telemetry)
    ours, bare = graphs(LATENCY_S)

    async def cascade_run() -> None:
        with workflow("bench", telemetry=telemetry):
            result = await ours.ainvoke({"document": DOCUMENT})
        assert result["status"] == "accepted", result.get("status")

    async def bare_run() -> None:
        assert "answer" in await bare.ainvoke({"document": DOCUMENT})

    kinds: dict[str, Callable[[], Awaitable[None]]] = {"cascade": cascade_run, "bare": bare_run}
    samples: dict[str, dict[str, list[float]]] = {k: {"t1": [], "tN": []} for k in kinds}

    async def alone(run: Callable[[], Awaitable[None]]) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            await run()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    async def together(run: Callable[[], Awaitable[None]]) -> float:
        started = time.perf_counter()
        await asyncio.gather(*(run() for _ in range(runs)))
        return time.perf_counter() - started

    async def main() -> dict[str, float]:
        for run in kinds.values():  # warm-up
            await together(run)
        for i in range(rounds):
            for name in list(kinds) if i % 2 else reversed(list(kinds)):
                samples[name]["t1"].append(await alone(kinds[name]))
                samples[name]["tN"].append(await together(kinds[name]))
        peaks = {}
        for name, run in kinds.items():
            tracemalloc.start()
            floor = tracemalloc.get_traced_memory()[0]
            await together(run)
            peaks[name] = (tracemalloc.get_traced_memory()[1] - floor) / runs
            tracemalloc.stop()
        return peaks

    peaks = asyncio.run(main())
    telemetry.shutdown()
    out: dict[str, float] = {}
    for name, s in samples.items():
        t1, tn = statistics.median(s["t1"]), statistics.median(s["tN"])
        out |= {f"{name}_t1": t1, f"{name}_tN": tn, f"{name}_share": t1 / tn, f"{name}_kib": peaks[name] / 1024}
    return out


def run(quick: bool) -> Result:
    m = measure(3 if quick else 9)
    for name in ("cascade", "bare"):
        print(
            f"P3 {name}: one run {m[f'{name}_t1'] * 1e3:.1f} ms, {RUNS} at once {m[f'{name}_tN'] * 1e3:.0f} ms "
            f"({RUNS / m[f'{name}_tN']:.0f} runs/s, {m[f'{name}_share']:.1%} of the ideal "
            f"{RUNS / m[f'{name}_t1']:.0f} runs/s), peak {m[f'{name}_kib']:.0f} KiB per run"
        )
    return Result(
        key="P3",
        measure=(
            f"{RUNS} concurrent runs, {LATENCY_S * 1e3:.0f} ms model latency, tracing on: share of the ideal "
            f"({RUNS / m['cascade_tN']:.0f} of {RUNS / m['cascade_t1']:.0f} runs/s; "
            f"peak {m['cascade_kib']:.0f} KiB per run, bare {m['bare_kib']:.0f})"
        ),
        unit="share",
        value=m["cascade_share"],
        baseline=m["bare_share"],
        baseline_name="bare LangGraph graph, same shape",
        goal=f">= {GOAL:.2f}",
        holds=m["cascade_share"] >= GOAL,
        extra={
            "runs_per_s": RUNS / m["cascade_tN"],
            "ideal_runs_per_s": RUNS / m["cascade_t1"],
            "peak_kib_per_run": m["cascade_kib"],
            "bare_peak_kib_per_run": m["bare_kib"],
        },
    )


if __name__ == "__main__":
    raise SystemExit(standalone(run, __doc__))
