"""``hybridgraph run | runs | approve | resume``: durable runs from the command line.

``run`` runs a pipeline (``cli/pipelines``), or starts a pattern run on a document with
encrypted checkpoints; a run that pauses for a
person or for an offline cloud, or whose process dies, is continued later by ``approve`` or
``resume`` from any process. ``runs`` lists them. Output names the run id and the next command.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridgraph.cli.models import CatalogOption

__all__ = ["approve_command", "resume_command", "run_command", "runs_command"]

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]


def run_command(
    pipeline: Annotated[str, typer.Argument(help="a pipeline (contract-review, ... or a YAML file), or a pattern")],
    inputs: Annotated[
        list[str], typer.Argument(help="PDF, DOCX, TXT, MD or HTML files ('-' reads stdin for a pattern)")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="where pipeline reports are written")] = Path("reports"),
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-j", min=1, max=32, help="documents at a time (default: one per CPU core, 2 to 8)"
        ),
    ] = None,
    category: Annotated[
        str, typer.Option("--category", "-c", help="patterns: the clause to find")
    ] = "Cap on Liability",
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="patterns: a preset or a policy YAML file")
    ] = "balanced",
    samples: Annotated[int, typer.Option("--samples", min=1, max=8, help="patterns: local answers to compare")] = 1,
    skip_done: Annotated[
        bool,
        typer.Option(
            "--skip-done",
            help="pipelines: leave out the documents whose reports are already in --out (same pipeline, "
            "unchanged file), e.g. to finish a stopped batch",
        ),
    ] = False,
    as_json: JsonOption = False,
    catalog_file: CatalogOption = None,
) -> None:
    """Run a pipeline on documents and write its reports; or run one routing pattern (cascade,
    parallel, split) on one document, durably (resumable after a pause or a crash)."""
    if pipeline not in PATTERNS:
        from hybridgraph.cli.pipelines import known_or_fail, run_pipeline

        known_or_fail(pipeline, PATTERNS)
        run_pipeline(pipeline, [Path(i) for i in inputs], out, concurrency, as_json, catalog_file, skip_done)
        return
    from hybridgraph.errors import ConfigError
    from hybridgraph.recipe import Recipe

    if skip_done:
        raise ConfigError(
            "--skip-done is for pipeline batches; a pattern run is durable by itself",
            fix="continue a stopped pattern run with: hybridgraph resume RUN_ID (see hybridgraph runs)",
        )
    if len(inputs) != 1:
        raise ConfigError(
            f"the '{pipeline}' pattern takes one document, got {len(inputs)}",
            fix="run it once per document, or use a pipeline",
        )
    recipe = Recipe.of(pipeline, category, policy, catalog_file, samples)
    text, name = _read(inputs[0])
    from hybridgraph.graphs.durable import start_run

    outcome = asyncio.run(start_run(recipe, text, name))
    _report(outcome, as_json)


PATTERNS = ("cascade", "parallel", "split")


def runs_command(
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="newest runs to show")] = 20,
) -> None:
    """List runs: id, pipeline, input and state (running, interrupted, waiting, queued, done, failed)."""
    from rich.console import Console
    from rich.table import Table

    from hybridgraph.runs import RunIndex

    records = RunIndex().list(limit)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json", exclude={"recipe"}) for r in records], indent=2))
        return
    if not records:
        Console(stderr=True).print("no runs yet: start one with `hybridgraph run cascade FILE`")
        return
    table = Table("run", "pipeline", "input", "state", "started", "detail")
    for r in records:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started))
        table.add_row(r.run_id, r.pipeline, r.input, r.state.value, started, r.detail[:60])
    Console().print(table)


def approve_command(
    run_id: Annotated[str, typer.Argument(help="the run that waits (see `hybridgraph runs`)")],
    step: Annotated[str | None, typer.Option("--step", help="the waiting step, when several wait")] = None,
    deny: Annotated[bool, typer.Option("--deny", help="reject instead of approving")] = False,
    comment: Annotated[str, typer.Option("--comment", help="a note kept with the decision")] = "",
    answer: Annotated[str | None, typer.Option("--answer", help="give the answer yourself")] = None,
    as_json: JsonOption = False,
    catalog_file: CatalogOption = None,
) -> None:
    """Approve (or --deny) the step a run waits on; the run then continues."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.runs import RunIndex

    RunIndex().get(run_id)  # an unknown run is a quick, clear error
    from hybridgraph.graphs.durable import approve_run

    outcome = asyncio.run(
        approve_run(
            run_id,
            approved=not deny,
            comment=comment,
            answer=answer,
            step=step,
            catalog=Catalog.load(catalog_file) if catalog_file else None,
        )
    )
    _report(outcome, as_json)


def resume_command(
    run_id: Annotated[str, typer.Argument(help="an interrupted, failed or queued run (see `hybridgraph runs`)")],
    as_json: JsonOption = False,
    catalog_file: CatalogOption = None,
) -> None:
    """Finish a run from its last checkpoint (completed model calls are not repeated), or send its
    queued escalation once the cloud is reachable."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.runs import RunIndex

    RunIndex().get(run_id)  # an unknown run is a quick, clear error
    from hybridgraph.graphs.durable import resume_run

    catalog = Catalog.load(catalog_file) if catalog_file else None  # default: the run's own catalog
    _report(asyncio.run(resume_run(run_id, catalog=catalog)), as_json)


def _read(document: str) -> tuple[str, str]:
    from hybridgraph.textinput import read_text_input
    from hybridgraph.tools.loaders import load_document

    if document == "-":
        return read_text_input("-"), "<stdin>"
    path = Path(document)
    return load_document(path).text, path.name


def summary(outcome: Any) -> dict[str, Any]:
    """What a run's output shows: no document content, and the answer with real values restored."""
    result = outcome.result
    return {
        "run_id": outcome.run_id,
        "state": outcome.state.value,
        "status": result.get("status"),
        "answer": result.get("restored", result.get("answer")) if outcome.pending == [] else None,
        "answer_zone": result.get("answer_zone"),
        "sensitivity": str(result.get("sensitivity", "")),
        "routes": [
            {k: r.get(k) for k in ("attempt", "target", "endpoint", "zone", "rule")} for r in result.get("routes", [])
        ],
        "faults": result.get("faults", []),
        "warnings": result.get("warnings", []),
        "economics": result.get("economics"),
        "pending": outcome.pending,
    }


def _report(outcome: Any, as_json: bool) -> None:
    from rich.console import Console
    from rich.markup import escape

    from hybridgraph.runs import RunState

    data = summary(outcome)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        if outcome.state is RunState.FAILED:
            raise typer.Exit(1)
        return
    out, err = Console(), Console(stderr=True)
    for route in data["routes"]:
        err.print(
            f"[dim]route {route['attempt']}: {route['target']} {route['endpoint'] or ''} (rule {route['rule']})[/]"
        )
    for fault in data["faults"]:
        err.print(f"[yellow]fault:[/] {fault['endpoint']} {fault['error']}: {escape(fault['message'])}")
    for warning in data["warnings"]:
        err.print(f"[yellow]note:[/] {escape(warning)}")
    if outcome.state is RunState.FAILED:
        reason = (outcome.result.get("route") or {}).get("reason", "")
        out.print(f"[bold red]failed[/]: {escape(str(reason))}")
    if outcome.state is RunState.DONE:
        out.print(
            f"[bold]{data['status']}[/] ({data['answer_zone'] or 'no answer'}): {escape(str(data['answer'] or ''))}"
        )
    for pending in data["pending"]:
        verb = "waits for the cloud" if pending.get("kind") == "queued" else "waits for approval"
        out.print(f"[bold]run {outcome.run_id} {verb}[/]: {escape(str(pending.get('reason') or pending.get('rule')))}")
        counts = ", ".join(f"{k} {v}" for k, v in pending.get("entity_counts", {}).items()) or "none"
        out.print(f"  sensitivity {pending.get('sensitivity')}; entities found: {counts}")
    next_step = {
        RunState.WAITING: f"hybridgraph approve {outcome.run_id}   (or --deny)",
        RunState.QUEUED: f"hybridgraph resume {outcome.run_id}   (once the cloud is reachable)",
        RunState.FAILED: f"hybridgraph resume {outcome.run_id}   (once its model servers are reachable)",
    }.get(outcome.state)
    if next_step:
        err.print(f"next: {next_step}")
    err.print(f"[dim]run {outcome.run_id} · trace: hybridgraph trace show {outcome.run_id}[/]")
    sys.stdout.flush()
    if outcome.state is RunState.FAILED:
        raise typer.Exit(1)
