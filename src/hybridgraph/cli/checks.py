"""``hybridgraph checks``: what a checklist's rule checks measure in a document, without a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["checks_command"]


def checks_command(
    document: Annotated[Path, typer.Argument(help="a contract (PDF, DOCX, HTML, Markdown or text)")],
    checklist: Annotated[
        str, typer.Option("--checklist", "-c", help="a Markdown checklist, or builtin:NAME")
    ] = "builtin:procurement-checklist",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per check")] = False,
) -> None:
    """Run the checklist's rule checks over the whole document and show what each measured.

    A review runs them on each category's clause; this runs them on all of the text. Exit 1 on a breach."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from hybridgraph.tools.checklist import load_checklist
    from hybridgraph.tools.loaders import load_document

    rules = load_checklist(checklist).rules
    text = load_document(document.expanduser()).text
    rows: list[dict[str, Any]] = []
    for rule in rules:
        for check in rule.checks:
            values = check.values(text)
            rows.append(
                {
                    "rule": rule.id,
                    "category": rule.category,
                    "check": check.text,
                    "measured": check.shown(values),
                    "breaches": check.breaches_of(values),
                }
            )
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
    else:
        table = Table("rule", "check", "measured", "result")
        for row in rows:
            broken = escape("; ".join(b.split(": ", 1)[1] for b in row["breaches"]))
            result = f"[red]{broken}[/]" if broken else "ok"
            table.add_row(escape(row["rule"]), escape(row["check"]), escape(", ".join(row["measured"])) or "—", result)
        console = Console()
        console.print(table)
        if not rows:
            console.print(f"{checklist} has no rule checks (write 'check: ...' after a rule's severity)")
    if any(row["breaches"] for row in rows):
        raise typer.Exit(1)
