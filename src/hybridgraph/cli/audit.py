"""``hybridgraph audit verify``: check that an audit log was not edited, cut or reordered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="Check the hash-chained audit log of model interactions.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    file: Annotated[
        Path | None, typer.Argument(help="the log (default: HYBRIDGRAPH_AUDIT_LOG, else the data home's)")
    ] = None,
) -> None:
    """Check every entry's hash and the chain; exit 1 naming the first bad entry."""
    from rich.console import Console

    from hybridgraph.telemetry.audit import AuditLog, verify_log

    path = file or AuditLog.default().path
    result = verify_log(path)
    console = Console()
    if result.ok:
        console.print(f"[green]ok[/]: {path} has {result.entries} entries, all intact and in order")
        return
    console.print(f"[bold red]tampered[/]: {path}: {result.problem}")
    console.print(f"the {result.entries} entries before it are intact")
    raise typer.Exit(1)
