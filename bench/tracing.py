"""T1: the cost of tracing, per graph step, on the same LangGraph graph with zero-latency models.

Off: six plain nodes, each calling a bare ``FunctionModel`` once. On: the same nodes wrapped in
``TracedNode``, the model in ``InstrumentedModel``, the run in ``workflow`` (an SDK provider
with the batch processor, the real OTLP/HTTP exporter posting to a loopback receiver, and the
local trace file). Runs alternate between the two, and the median per-step time is compared.
Two informational lines: the audit log added (``AuditedModel``, one JSON line per call), and
the SDK's floor: each plain node inside the two bare spans a traced step has (agent and model
call), with no attributes, from an SDK provider with no processor (nothing exported or written).
Tracing cannot cost less than that floor while every hop has its span.

Run: ``python -m bench.tracing [--quick]``
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import statistics
import subprocess
import sys
import tempfile
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
    """An OTLP/HTTP receiver on loopback that accepts and drops every export (its base URL). It
    runs in its own process, as a collector does (Jaeger), so it takes no CPU time from the
    measured process; it stops when this process exits."""
    child = subprocess.Popen(
        [sys.executable, "-c", "from bench.tracing import serve_sink; serve_sink()"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    atexit.register(child.kill)
    port = child.stdout.readline().strip() if child.stdout else ""
    if not port.isdigit():
        raise RuntimeError("the OTLP sink process did not start")
    return f"http://127.0.0.1:{port}"


def serve_sink() -> None:
    """The sink process: print the port, then serve until killed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def bare_spans() -> Callable[[str, Any], Any]:
    """A wrapper that runs a node inside two nested spans without attributes (the agent's and its
    model call's), from an SDK provider with no span processor: the SDK's own cost per step."""
    from opentelemetry import context, trace
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("floor")

    def wrap(name: str, node: Any) -> Any:
        async def spanned(state: _State) -> Any:
            spans, tokens = [], []
            for span_name in (f"invoke_agent {name}", "chat model"):
                spans.append(tracer.start_span(span_name))
                tokens.append(context.attach(trace.set_span_in_context(spans[-1])))
            try:
                return await node(state)
            finally:
                for span, token in zip(reversed(spans), reversed(tokens), strict=True):
                    context.detach(token)
                    span.end()

        return spanned

    return wrap


def measure(blocks: int) -> dict[str, float]:
    """Median seconds per step (off, traced, traced + audited, the SDK floor) over ``blocks`` rounds of
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
        "floor": (build(fake, bare_spans()), False),
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
            for name in list(graphs)[i % len(graphs) :] + list(graphs)[: i % len(graphs)]:  # rotate the order
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
        f"({t['traced_ratio']:.3f}x), traced + audit log {t['audited'] * 1e3:.3f} ms ({t['audited_ratio']:.3f}x); "
        f"SDK floor (two bare spans per step, nothing exported) {t['floor'] * 1e3:.3f} ms ({t['floor_ratio']:.3f}x)"
    )
    measure_name = "graph step with tracing (spans, OTLP export, trace file)"
    result = step_result("T1", measure_name, t["traced"], ("tracing off", t["off"]), t["traced_ratio"], 1.10)
    extra = {"sdk_floor_ratio": t["floor_ratio"], "audited_ratio": t["audited_ratio"]}
    return dataclasses.replace(result, extra=extra)


if __name__ == "__main__":
    raise SystemExit(standalone(run, __doc__))
