"""``hybridgraph trace``: list, show (a terminal waterfall) and open (in Jaeger) the traces of runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridgraph.errors import InputError

__all__ = ["JAEGER_UI_ENV", "app"]

JAEGER_UI_ENV = "JAEGER_UI_URL"

app = typer.Typer(help="Inspect the traces of runs (local JSON files; Jaeger for the UI).", no_args_is_help=True)


@app.command("list")
def list_command(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="newest runs to show")] = 20,
) -> None:
    """The newest runs that left a trace file."""
    from rich.console import Console

    from hybridgraph.home import DataHome

    files = sorted(DataHome.from_env().traces.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not files:
        Console(stderr=True).print("no traces yet: they are written at the end of every run")
        return
    for path in files[:limit]:
        typer.echo(path.stem)


@app.command("show")
def show_command(run: Annotated[str, typer.Argument(help="a run id (or its start), or a trace file")]) -> None:
    """A waterfall of the run's spans: durations, routes, zones, tokens and cost."""
    from rich.console import Console

    from hybridgraph.telemetry.files import read_trace

    document = read_trace(trace_file(run))
    console = Console()
    console.print(waterfall(document, bar=max(8, min(40, (console.width - 60) // 2))))


@app.command("open")
def open_command(run: Annotated[str, typer.Argument(help="a run id (or its start), or a trace file")]) -> None:
    """Print the Jaeger UI address of the run's trace (JAEGER_UI_URL, default http://localhost:16686)."""
    from hybridgraph.telemetry.files import read_trace

    document = read_trace(trace_file(run))
    base = os.environ.get(JAEGER_UI_ENV, "http://localhost:16686").rstrip("/")
    typer.echo(f"{base}/trace/{document['trace_id']}")


def trace_file(run: str) -> Path:
    """The trace file of ``run``: a path, a run id, or the unique start of one."""
    path = Path(run)
    if path.suffix == ".json" or path.is_file():
        return path
    from hybridgraph.home import DataHome

    folder = DataHome.from_env().traces
    matches = sorted(folder.glob(f"{''.join(c for c in run if c.isalnum() or c in '-_.')}*.json"))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"no trace of a run '{run}' in {folder}", fix="see the runs with `hybridgraph trace list`")
    raise InputError(f"'{run}' starts {len(matches)} run ids", fix="give more of the run id")


def waterfall(document: dict[str, Any], bar: int = 30) -> Any:
    """A rich table: one row per span, indented under its parent, with a bar on the run's time line."""
    from rich.table import Table

    spans = document["spans"]
    start = min(s["start_ns"] for s in spans) if spans else 0
    total = max((s["end_ns"] for s in spans), default=start) - start or 1
    table = Table(title=f"run {document['run_id']} · trace {document['trace_id']}", title_justify="left")
    table.add_column("span", no_wrap=True)
    table.add_column("start ms", justify="right", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, width=bar)
    table.add_column("details", min_width=12, ratio=1)
    for depth, span in _ordered(spans):
        offset, length = span["start_ns"] - start, span["end_ns"] - span["start_ns"]
        left = min(bar - 1, int(bar * offset / total))
        line = " " * left + "█" * max(1, int(bar * length / total))
        style = "red" if span["status"] == "ERROR" else ""
        table.add_row(
            "  " * depth + span["name"],
            f"{offset / 1e6:.1f}",
            f"{length / 1e6:.1f}",
            line[:bar],
            _details(span),
            style=style,
        )
    return table


def _ordered(spans: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Spans depth-first from the roots, children by start time."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in sorted(spans, key=lambda s: s["start_ns"]):
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children.setdefault(parent, []).append(span)
    out: list[tuple[int, dict[str, Any]]] = []
    stack = [(0, s) for s in reversed(children.get(None, []))]
    while stack:
        depth, span = stack.pop()
        out.append((depth, span))
        stack += [(depth + 1, c) for c in reversed(children.get(span["span_id"], []))]
    return out


def _details(span: dict[str, Any]) -> str:
    from hybridgraph.telemetry.keys import Attr

    a = span["attributes"]
    parts = []
    if Attr.ROUTE_TARGET in a:
        parts.append(f"→ {a[Attr.ROUTE_TARGET]} (rule {a.get(Attr.ROUTE_RULE, '?')})")
    if Attr.ROUTE_SKIPPED in a:
        parts.append(f"escalation skipped: {a[Attr.ROUTE_SKIPPED]}")
    if Attr.ZONE in a:
        parts.append(f"zone {a[Attr.ZONE]}")
    if Attr.EGRESS in a and a[Attr.EGRESS] != "local":
        parts.append(f"egress {a[Attr.EGRESS]}")
    if Attr.INPUT_TOKENS in a:
        parts.append(f"{a[Attr.INPUT_TOKENS]} in / {a.get(Attr.OUTPUT_TOKENS, 0)} out tokens")
    if a.get(Attr.COST_USD):
        parts.append(f"${a[Attr.COST_USD]:.6f}")
    if span["status"] == "ERROR":
        parts.append(f"error: {span['status_message']}")
    return " · ".join(parts)
