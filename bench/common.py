"""Shared pieces of the benchmarks: a result row and the ratio table."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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
    holds: bool | None  # None: a measure reported without a goal
    extra: dict[str, float] = field(default_factory=dict)  # further numbers of the same measure

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
            "—" if r.holds is None else "[green]yes[/]" if r.holds else "[red]no[/]",
        )
    console = Console()
    (console if console.is_terminal else Console(width=240)).print(table)  # a log file gets whole rows


def write_json(results: list[Result], path: Path) -> None:
    """``{"P1": {"value": …, "goal": …, "holds": …, …}, …, "policy_p99_ms": …}``: one key per row
    (with its baseline, ratio and further numbers), and the policy decision p99 (row R1)."""
    payload: dict[str, Any] = {r.key: {**asdict(r), "ratio": r.ratio} for r in results}
    policy = next((r for r in results if r.key == POLICY_ROW), None)
    payload["policy_p99_ms"] = policy.value if policy else None
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")


#: The row whose value is the policy decision p99 in ms.
POLICY_ROW = "R1"
