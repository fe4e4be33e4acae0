"""``hybridgraph audit verify`` and ``audit rotate``: check that an audit log was not edited, cut,
re-chained or reordered, and set a log aside to start a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="Check and rotate the MAC-chained audit log of model interactions.", no_args_is_help=True)

_FILE = typer.Argument(help="the log (default: HYBRIDGRAPH_AUDIT_LOG, else the data home's)")


@app.command("verify")
def verify_command(file: Annotated[Path | None, _FILE] = None) -> None:
    """Check every entry's MAC, the chain and the end against the head; exit 1 naming the first
    problem (a legacy unkeyed log exits 1 too: it cannot be shown intact)."""
    from rich.console import Console
    from rich.markup import escape

    from hybridgraph.telemetry.audit import AuditLog
    from hybridgraph.telemetry.audit_verify import verify_log

    path = file or AuditLog.default().path
    result = verify_log(path)
    console = Console(highlight=False)
    if result.ok:
        console.print(f"[green]ok[/]: {escape(str(path))} has {result.entries} entries, all intact and in order")
        return
    if result.legacy and not result.problem:
        console.print(
            f"[yellow]legacy[/]: {escape(str(path))} has {result.entries} entries in the old unkeyed format; "
            "its SHA-256 chain is intact, but without a key it cannot show that it was not rewritten"
        )
    else:
        console.print(f"[bold red]tampered[/]: {escape(str(path))}: {escape(result.problem)}")
        console.print(f"the {result.entries} entries before it are intact")
    if result.fix:
        console.print(f"Fix: {escape(result.fix)}")
    raise typer.Exit(1)


@app.command("rotate")
def rotate_command(file: Annotated[Path | None, _FILE] = None) -> None:
    """Set the log aside (renamed with the time, its head moved with it) so a new log starts."""
    from hybridgraph.telemetry.audit import AuditLog

    log = AuditLog(file) if file else AuditLog.default()
    aside = log.rotate()
    typer.echo(f"set aside as {aside}; `hybridgraph audit verify {aside}` checks it. A new log starts at {log.path}")
