"""R2 and P1: the cascade's per-step overhead against a bare LangGraph graph of the same shape.

Both graphs have the cascade's nodes and edges (redact → route → solve_local → verify →
finish) and the same zero-latency ``FunctionModel``, which answers with valid, grounded JSON.
The bare graph's nodes only call the model and pass the answer on; the cascade's do the real
work: classification (with a detector that finds nothing, so no NER runs), the policy decision
and its route record, JSON validation, grounding and consistency checks, and the economics.
R2 has tracing off in both (its cost is T1's). P1 is the whole hybrid step as a user runs it:
tracing on for the cascade (spans, OTLP/HTTP export to a loopback receiver, the run trace
file), the bare graph as before. Blocks alternate; the median per-block ratio counts.

Run: ``python -m bench.cascade [--quick]``
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any, TypedDict

from bench.common import Result, chain, standalone, step_result

CLAUSE = "The Supplier's aggregate liability shall not exceed the fees paid in the prior twelve months."
DOCUMENT = f"Master Agreement.\n\n9. Liability. {CLAUSE}\n\n10. Term. Two years."
STEPS = 5  # redact, route, solve, verify, finish


class _Bare(TypedDict, total=False):
    document: str
    answer: str


class _NoFindings:
    config = None

    def detect(self, text: str) -> list[Any]:
        return []


def graphs(latency_s: float = 0.0) -> tuple[Any, Any]:
    """The cascade and the bare graph over one ``FunctionModel`` that answers after ``latency_s``."""
    from hybridgraph.agents.redactor import RedactorAgent
    from hybridgraph.agents.tasks import clause_task
    from hybridgraph.catalog import Endpoint
    from hybridgraph.graphs import cascade
    from hybridgraph.models import ChatRequest, FunctionModel
    from hybridgraph.policies import Policy, RulePolicy
    from hybridgraph.zones import TrustZone

    reply = json.dumps({"found": True, "quote": CLAUSE, "risk": "medium"})

    async def answer(request: ChatRequest) -> str:
        if latency_s:
            await asyncio.sleep(latency_s)
        return reply

    model = FunctionModel(answer, endpoint=Endpoint(name="local-smollm2", model="function:local"))
    policy = RulePolicy(Policy.preset("balanced"), {"local-smollm2": TrustZone.LOCAL, "cloud-gpt": TrustZone.PUBLIC})
    ours = cascade(clause_task("Cap on Liability"), [model], policy, redactor=RedactorAgent(detector=_NoFindings()))

    async def passthrough(state: _Bare) -> dict[str, str]:
        return {"document": state["document"]}

    async def solve(state: _Bare) -> dict[str, str]:
        return {"answer": (await model.complete(ChatRequest.from_prompt(state["document"]))).text}

    names = ["redact", "route", "solve_local", "verify", "finish"]
    return ours, chain(_Bare, {n: solve if n == "solve_local" else passthrough for n in names})


def measure(blocks: int, runs: int = 10, traced: bool = False) -> dict[str, float]:
    from contextlib import nullcontext

    from opentelemetry.trace import NoOpTracerProvider

    from hybridgraph.telemetry import workflow
    from hybridgraph.telemetry.setup import Telemetry, activate

    telemetry = traced_telemetry() if traced else Telemetry(NoOpTracerProvider())
    activate(telemetry)
    ours, bare = graphs()
    samples: dict[str, list[float]] = {"bare": [], "cascade": []}

    async def block(graph: Any) -> float:
        started = time.perf_counter()
        for _ in range(runs):
            with workflow("bench", telemetry=telemetry) if traced and graph is ours else nullcontext():
                result = await graph.ainvoke({"document": DOCUMENT})
        assert "answer" in result
        return (time.perf_counter() - started) / (runs * STEPS)

    async def main() -> None:
        await block(ours)
        await block(bare)
        for i in range(blocks):
            order = [("bare", bare), ("cascade", ours)]
            for name, graph in order if i % 2 else reversed(order):
                samples[name].append(await block(graph))

    asyncio.run(main())
    telemetry.shutdown()
    ratio = statistics.median(a / b for a, b in zip(samples["cascade"], samples["bare"], strict=True))
    return {
        "bare": statistics.median(samples["bare"]),
        "cascade": statistics.median(samples["cascade"]),
        "ratio": ratio,
    }


def traced_telemetry() -> Any:
    """Tracing as a user has it: the SDK provider, OTLP/HTTP export to a loopback receiver, and
    the run trace files (in a temporary folder)."""
    import os
    import tempfile
    from pathlib import Path

    from bench.tracing import sink
    from hybridgraph.telemetry.setup import Telemetry

    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink()
    return Telemetry(trace_dir=Path(tempfile.mkdtemp(prefix="hybridgraph-bench-")) / "traces")


def run_traced(quick: bool) -> Result:
    t = measure(10 if quick else 40, traced=True)
    print(f"P1: per step bare {t['bare'] * 1e3:.3f} ms, traced cascade {t['cascade'] * 1e3:.3f} ms ({t['ratio']:.3f}x)")
    measure_name = "5-node hybrid pipeline step, tracing on, zero-latency model"
    return step_result(
        "P1", measure_name, t["cascade"], ("bare LangGraph graph, same shape", t["bare"]), t["ratio"], 1.2
    )


def run(quick: bool) -> Result:
    t = measure(10 if quick else 40)
    print(f"R2: per step bare {t['bare'] * 1e3:.3f} ms, cascade {t['cascade'] * 1e3:.3f} ms ({t['ratio']:.3f}x)")
    measure_name = "cascade graph step (policy, verification, economics), zero-latency model"
    return step_result(
        "R2", measure_name, t["cascade"], ("bare LangGraph graph, same shape", t["bare"]), t["ratio"], 1.2
    )


def both(quick: bool) -> list[Result]:
    return [run_traced(quick), run(quick)]


if __name__ == "__main__":
    raise SystemExit(standalone(both, __doc__))
