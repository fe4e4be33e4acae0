"""``hybridgraph models``: the catalog's endpoints and whether each is usable now."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["CatalogOption", "models_command"]

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="extra catalog YAML (also: HYBRIDGRAPH_CATALOG)", show_default=False),
]


def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    catalog_file: CatalogOption = None,
) -> None:
    """List model endpoints with trust zone, price, and whether each is usable now."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.models.availability import check_all

    catalog = Catalog.load(catalog_file)
    endpoints = list(catalog.endpoints.values())
    states = asyncio.run(check_all(endpoints))
    rows = [_row(e, s, e.name == catalog.default) for e, s in zip(endpoints, states, strict=True)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _print_table(rows)


def _row(endpoint: Any, state: Any, is_default: bool) -> dict[str, Any]:
    return {
        "name": endpoint.name,
        "model": endpoint.model,
        "zone": endpoint.zone.value,
        "tier": endpoint.tier.value,
        "usd_per_1m_input": endpoint.usd_per_1m_input,
        "usd_per_1m_output": endpoint.usd_per_1m_output,
        "context_window": endpoint.context_window,
        "default": is_default,
        "ready": state.ready,
        "status": state.detail,
        "fix": state.fix,
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Model endpoints", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    table.add_column("name", no_wrap=True)
    table.add_column("model", overflow="fold")
    for column in ("zone", "tier", "$/1M in/out", "ctx", "ready"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        name = row["name"] + (" *" if row["default"] else "")
        price = _price(row["usd_per_1m_input"], row["usd_per_1m_output"])
        ready = "[green]yes[/]" if row["ready"] else "[red]no[/]"
        table.add_row(name, row["model"], row["zone"], row["tier"], price, str(row["context_window"]), ready)
    console = Console()
    console.print(table)
    console.print("[dim]* default endpoint. Price '-': from LiteLLM's price map.[/]")
    for row in rows:
        line = f"[bold]{escape(row['name'])}[/]: {escape(row['status'])}"
        console.print(line + (f" [dim]→ {escape(row['fix'])}[/]" if row["fix"] else ""))


def _price(price_in: float | None, price_out: float | None) -> str:
    if price_in is None and price_out is None:
        return "-"
    return f"{price_in or 0:g} / {price_out or 0:g}"
