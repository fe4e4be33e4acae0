"""R1: policy decision time, p50 and p99, over 100,000 random step features.

Each decision runs the shipped ``balanced`` preset (eight rules, then the guards) on features
drawn at random: sensitivity, task, tokens, complexity, confidence, verdict, attempt, budgets,
latency budget and reachability. The baseline, from the same run, is one step of a bare
LangGraph graph with a zero-latency node: what routing adds to a step.

Run: ``python -m bench.policy [--quick]``
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any, TypedDict

from bench.common import Result, chain, standalone


class _State(TypedDict, total=False):
    n: int


def random_features(rng: random.Random, endpoints: list[str]) -> Any:
    from hybridgraph.policies import StepFeatures, Verdict
    from hybridgraph.zones import Sensitivity

    def maybe(value: Any) -> Any:
        return value if rng.random() < 0.7 else None

    return StepFeatures(
        step=rng.choice(["solve", "verify", "consult"]),
        task=rng.choice(["extract", "classify", "reason", "summarise"]),
        sensitivity=rng.choice(list(Sensitivity)),
        input_tokens=rng.randrange(0, 50_000),
        complexity=rng.random(),
        retrieval_score=maybe(rng.random()),
        confidence=maybe(rng.random()),
        verdict=maybe(rng.choice(list(Verdict))),
        attempt=rng.randrange(0, 4),
        run_usd_left=maybe(rng.uniform(-0.1, 2.0)),
        day_usd_left=maybe(rng.uniform(0, 20.0)),
        run_tokens_left=maybe(rng.randrange(-100, 100_000)),
        latency_budget_ms=maybe(rng.uniform(10, 10_000)),
        reachable=maybe(frozenset(e for e in endpoints if rng.random() < 0.9)),
        approved=rng.random() < 0.3,
    )


def decision_times(count: int) -> list[float]:
    """Seconds per decision, one sample per decision."""
    from hybridgraph.policies import Policy, RulePolicy

    policy = RulePolicy.from_catalog(Policy.preset("balanced"))
    rng = random.Random(7)
    endpoints = sorted(policy.zones)
    batch = [random_features(rng, endpoints) for _ in range(count)]
    samples = []
    clock = time.perf_counter_ns
    for f in batch:
        started = clock()
        policy.decide(f)
        samples.append((clock() - started) / 1e9)
    return samples


def bare_step(runs: int) -> float:
    """Median seconds per step of a one-node LangGraph graph."""

    async def node(state: _State) -> dict[str, int]:
        return {"n": state.get("n", 0) + 1}

    compiled = chain(_State, {"step": node})

    async def main() -> list[float]:
        out = []
        for _ in range(runs):
            started = time.perf_counter()
            await compiled.ainvoke({"n": 0})
            out.append(time.perf_counter() - started)
        return out

    return statistics.median(asyncio.run(main()))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run(quick: bool) -> Result:
    samples = decision_times(20_000 if quick else 100_000)
    p50, p99 = _quantile(samples, 0.50), _quantile(samples, 0.99)
    step = bare_step(200 if quick else 1000)
    print(
        f"R1: {len(samples)} decisions · p50 {p50 * 1e3:.4f} ms · p99 {p99 * 1e3:.4f} ms · "
        f"bare LangGraph step {step * 1e3:.3f} ms"
    )
    return Result(
        key="R1",
        measure=f"policy decision p99 ({len(samples):,} random feature sets; p50 {p50 * 1e3:.4f} ms)",
        unit="ms",
        value=p99 * 1e3,
        baseline=step * 1e3,
        baseline_name="one bare LangGraph step",
        goal="p99 <= 0.2 ms",
        holds=p99 <= 0.0002,
    )


if __name__ == "__main__":
    raise SystemExit(standalone(run, __doc__))
