"""Entry point: builds the typer app and turns every error into a message with its fix."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from hybridgraph.cli import ask, audit, bench, checks, knowledge, models, pipelines, policy, redact, runs, trace
from hybridgraph.errors import HybridGraphError

__all__ = ["DEBUG_ENV", "app", "main"]

DEBUG_ENV = "HYBRIDGRAPH_DEBUG"

app = typer.Typer(
    name="hybridgraph",
    help="SLM-first, LLM-fallback agent workflows: local models by default, cloud models only on redacted data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from hybridgraph import __version__

        typer.echo(f"hybridgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """SLM-first, LLM-fallback agent workflows."""


app.command("models")(models.models_command)
app.command("ask")(ask.ask_command)
app.command("redact")(redact.redact_command)
app.command("ingest")(knowledge.ingest_command)
app.command("search")(knowledge.search_command)
app.command("run")(runs.run_command)
app.command("runs")(runs.runs_command)
app.command("validate")(pipelines.validate_command)
app.command("schema")(pipelines.schema_command)
app.command("checks")(checks.checks_command)
app.command("pipelines")(pipelines.pipelines_command)
app.command("approve")(runs.approve_command)
app.command("resume")(runs.resume_command)
app.command("bench")(bench.bench_command)
app.add_typer(trace.app, name="trace")
app.add_typer(audit.app, name="audit")
app.add_typer(policy.app, name="policy")


def main() -> None:
    """Run the CLI; errors print as 'Error: … / Fix: …' without a traceback (exit code 2)."""
    try:
        app()
    except HybridGraphError as exc:
        _print_error(exc.message, exc.fix)
        sys.exit(2)
    except KeyboardInterrupt:
        _print_error("interrupted", None)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        _print_error(
            f"unexpected {type(exc).__name__}",
            f"re-run with {DEBUG_ENV}=1 for the traceback, and report it at the project's issue tracker",
        )
        sys.exit(1)


def _print_error(message: str, fix: str | None) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, soft_wrap=True)  # no hard line breaks inside paths and commands
    console.print(f"[bold red]Error:[/] {escape(message)}")
    if fix:
        console.print(f"[bold]Fix:[/] {escape(fix)}")
