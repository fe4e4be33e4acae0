"""T1: the cost of tracing, per graph step, on the same LangGraph graph with zero-latency models.

Off: six plain nodes, each calling a bare ``FunctionModel`` once. On: the same nodes wrapped in
``TracedNode``, the model in ``InstrumentedModel``, the run in ``workflow`` (an SDK provider
with the batch processor, the real OTLP/HTTP exporter posting to a loopback receiver, and the
local trace file). Runs alternate between the two, and the median per-step time is compared.
A third, informational line adds the audit log (``AuditedModel``, one JSON line per call).

Run: ``python -m bench.tracing [--quick]``
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypedDict

from bench.common import Result, chain, standalone, step_result

STEPS = 6
RUNS_PER_BLOCK = 10


class _State(TypedDict, total=False):
    count: int


def build(model: Any, wrap: Callable[[str, Any], Any]) -> Any:
    from hybridgraph.models import ChatRequest

    request = ChatRequest.from_prompt("Check clause 4.2 against rule R-03.")

    async def node(state: _State) -> dict[str, int]:
        await model.complete(request)
        return {"count": state.get("count", 0) + 1}

    return chain(_State, {f"step{i}": wrap(f"step{i}", node) for i in range(STEPS)})


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def sink() -> str:
    """An OTLP/HTTP receiver on loopback that accepts and drops every export (its base URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def measure(blocks: int) -> dict[str, float]:
    """Median seconds per step (off, traced, traced + audited) over ``blocks`` rounds of
    ``RUNS_PER_BLOCK`` runs each, and the median of the per-round ratios to ``off``."""
    import os

    from hybridgraph.models import AuditedModel, FunctionModel, InstrumentedModel
    from hybridgraph.telemetry import AuditLog, Telemetry, TracedNode, workflow

    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink()
    folder = Path(tempfile.mkdtemp(prefix="hybridgraph-bench-"))
    telemetry = Telemetry(trace_dir=folder / "traces")
    fake = FunctionModel(lambda r: "compliant")
    graphs = {
        "off": (build(fake, lambda n, f: f), False),
        "traced": (build(InstrumentedModel(fake), TracedNode), True),
        "audited": (build(InstrumentedModel(AuditedModel(fake, AuditLog(folder / "audit.jsonl"))), TracedNode), True),
    }
    samples: dict[str, list[float]] = {name: [] for name in graphs}

    async def block(graph: Any, traced: bool, runs: int) -> float:
        started = time.perf_counter()
        for _ in range(runs):
            if traced:
                with workflow("bench", telemetry=telemetry):
                    await graph.ainvoke({"count": 0})
            else:
                await graph.ainvoke({"count": 0})
        return (time.perf_counter() - started) / (runs * STEPS)

    async def main() -> None:
        for name in graphs:  # warm-up
            await block(*graphs[name], 5)
        for i in range(blocks):
            for name in list(graphs)[i % 3 :] + list(graphs)[: i % 3]:  # rotate the order
                samples[name].append(await block(*graphs[name], RUNS_PER_BLOCK))

    asyncio.run(main())
    telemetry.shutdown()
    ratios = {
        name: statistics.median(a / b for a, b in zip(v, samples["off"], strict=True)) for name, v in samples.items()
    }
    return {name: statistics.median(v) for name, v in samples.items()} | {f"{k}_ratio": r for k, r in ratios.items()}


def run(quick: bool) -> Result:
    t = measure(15 if quick else 60)
    print(
        f"T1: per step off {t['off'] * 1e3:.3f} ms, traced {t['traced'] * 1e3:.3f} ms "
        f"({t['traced_ratio']:.3f}x), traced + audit log {t['audited'] * 1e3:.3f} ms ({t['audited_ratio']:.3f}x)"
    )
    measure_name = "graph step with tracing (spans, OTLP export, trace file)"
    return step_result("T1", measure_name, t["traced"], ("tracing off", t["off"]), t["traced_ratio"], 1.10)


if __name__ == "__main__":
    raise SystemExit(standalone(run, __doc__))
