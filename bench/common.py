"""Shared pieces of the benchmarks: a result row and the ratio table."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Result:
    """One benchmark row: the measured value against its same-run baseline."""

    key: str
    measure: str
    unit: str
    value: float
    baseline: float
    baseline_name: str
    goal: str
    holds: bool

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")


def step_result(
    key: str, measure: str, seconds: float, baseline: tuple[str, float], ratio: float, limit: float
) -> Result:
    """A per-step time against a baseline step time; ``ratio`` is the measured median ratio."""
    return Result(
        key=key,
        measure=measure,
        unit="ms/step",
        value=seconds * 1e3,
        baseline=baseline[1] * 1e3,
        baseline_name=baseline[0],
        goal=f"<= {limit:.2f}x",
        holds=ratio <= limit,
    )


def standalone(run: Callable[[bool], object], doc: str | None) -> int:
    """``main`` of a one-measure benchmark module: ``python -m bench.<name> [--quick]``."""
    import argparse

    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="a reduced run")
    run(parser.parse_args().quick)
    return 0


def chain(state: type, nodes: dict[str, Any]) -> Any:
    """A compiled LangGraph graph running ``nodes`` one after another, in order."""
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(state)
    for name, node in nodes.items():
        graph.add_node(name, node)
    for a, b in zip([START, *nodes], [*nodes, END], strict=True):
        graph.add_edge(a, b)
    return graph.compile()


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs, in seconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def print_table(results: list[Result]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="hybridgraph benchmarks (ratios against a baseline from the same run)")
    for column in ("#", "measure", "hybridgraph", "baseline", "ratio", "goal", "holds"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.key,
            r.measure,
            f"{r.value:.3f} {r.unit}",
            f"{r.baseline:.3f} {r.unit} ({r.baseline_name})",
            f"{r.ratio:.3f}",
            r.goal,
            "[green]yes[/]" if r.holds else "[red]no[/]",
        )
    Console().print(table)


def write_json(results: list[Result], path: Path) -> None:
    payload = {r.key: {**asdict(r), "ratio": r.ratio} for r in results}
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
