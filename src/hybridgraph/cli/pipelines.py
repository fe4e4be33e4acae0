"""``hybridgraph run PIPELINE INPUT...`` for pipelines, and ``validate``, ``schema``, ``pipelines``.

A batch runs its documents concurrently (``--concurrency``), shows progress per document and
step, writes each document's reports as soon as it is done, and goes on past a document that
cannot be read; the exit code is 1 if any document failed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["default_concurrency", "pipelines_command", "run_pipeline", "schema_command", "validate_command"]


def known_or_fail(ref: str, patterns: tuple[str, ...]) -> None:
    """A clear error, with "did you mean", when ``ref`` is no pipeline, pipeline file or pattern."""
    import difflib

    from hybridgraph.errors import ConfigError
    from hybridgraph.graphs.pipeline import shipped_pipelines

    shipped = list(shipped_pipelines())
    if ref in shipped or Path(ref).suffix.lower() in (".yaml", ".yml") or Path(ref).exists():
        return
    close = difflib.get_close_matches(ref, [*shipped, *patterns], n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ConfigError(
        f"unknown pipeline or pattern '{ref}'",
        fix=f"{hint}use a pipeline ({', '.join(shipped)}), a YAML file, or a pattern: cascade, parallel or split",
    )


def default_concurrency() -> int:
    """Documents at a time when ``--concurrency`` is not given: one per CPU core this process may
    use, at least 2 (a document waiting on a model leaves the CPU to another) and at most 8 (each
    running document holds its text, pieces and state in memory)."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    return max(2, min(8, cores))


def run_pipeline(
    ref: str,
    inputs: list[Path],
    out: Path,
    concurrency: int | None,
    as_json: bool,
    catalog_file: Path | None,
    skip_done: bool = False,
) -> None:
    """Run pipeline ``ref`` on ``inputs``, at most ``concurrency`` at a time (default: sized to the
    cores, ``default_concurrency``); reports go to ``out``. ``skip_done``: an input whose reports
    an earlier run already wrote to ``out`` (same pipeline, same bytes) is not run again.
    Stopped with Ctrl-C, the batch says how far it got and how to finish it."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.errors import ConfigError
    from hybridgraph.graphs.pipeline import Pipeline

    pipeline = Pipeline.load(ref, catalog=Catalog.load(catalog_file) if catalog_file else None)
    if skip_done and "json" not in pipeline.spec.outputs:
        raise ConfigError(
            f"--skip-done finds finished documents by their JSON reports, and pipeline '{pipeline.spec.name}' "
            "writes none",
            fix="add json to the pipeline's outputs, or run without --skip-done",
        )
    pipeline.graph  # noqa: B018 - build every step now: a bad step fails before any document is read
    files, finished = expand(inputs), list[dict[str, Any]]()
    batch = _batch(pipeline, files, out, concurrency or default_concurrency(), as_json, skip_done, finished)
    try:
        rows = asyncio.run(batch)
    except KeyboardInterrupt:
        from rich.console import Console
        from rich.markup import escape

        reports = sum(1 for r in finished if r.get("reports"))
        err = Console(stderr=True, soft_wrap=True)
        err.print(f"[bold red]Stopped:[/] {reports} of {len(files)} documents have their reports in {escape(str(out))}")
        if "json" in pipeline.spec.outputs:
            err.print("[bold]Fix:[/] run the same command with --skip-done to do only the rest")
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _summary(pipeline, rows)
    if any(r.get("error") for r in rows):
        raise typer.Exit(1)


def expand(inputs: list[Path]) -> list[Path]:
    """The files to run on: files as given, folders replaced by the supported files in them."""
    from hybridgraph.errors import InputError
    from hybridgraph.tools.loaders import SUFFIXES, expand_paths

    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = expand_paths([path])  # a link loop is listed, and fails with its cause
            if not found:
                raise InputError(f"{path} has no documents", fix=f"put {', '.join(SUFFIXES)} files in it")
            files += found
        else:
            files.append(path)
    return files


def report_names(inputs: list[Path]) -> list[str]:
    """The report name of each input: its stem; its whole name where two inputs share a stem; and
    where that is not unique either, its name and a short hash of its full path, which does not
    change when other files join the batch (so ``--skip-done`` finds its reports again)."""
    import hashlib

    def hashed(path: Path) -> str:
        return f"{path.name}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]}"

    stems, full = Counter(p.stem for p in inputs), Counter(p.name for p in inputs)
    names = [p.stem if stems[p.stem] == 1 else p.name if full[p.name] == 1 else hashed(p) for p in inputs]
    taken = Counter(names)
    return [hashed(p) if taken[n] > 1 else n for p, n in zip(inputs, names, strict=True)]


async def _batch(
    pipeline: Any,
    inputs: list[Path],
    out: Path,
    concurrency: int,
    quiet: bool,
    skip_done: bool = False,
    finished: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Run ``pipeline`` on every input, at most ``concurrency`` at a time. Progress shows the whole
    batch on one bar and each running document on its own (a row leaves when its document is
    done), so a batch of thousands stays readable; each result is kept as a small summary row,
    and added to ``finished`` as soon as it is there."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    gate = asyncio.Semaphore(concurrency)
    steps = len(pipeline.spec.steps)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False, disable=quiet) as progress:
        batch = progress.add_task(f"{len(inputs)} document{'s' * (len(inputs) != 1)}", total=len(inputs))

        async def one(path: Path, name: str) -> dict[str, Any]:
            async with gate:
                task = progress.add_task(f"  {path.name}: starting", total=steps)

                def step_done(step: str) -> None:
                    progress.update(task, advance=1, description=f"  {path.name}: {step}")

                try:
                    row = await _one(pipeline, (path, name), out, step_done, skip_done)
                finally:
                    progress.remove_task(task)
                    progress.advance(batch)
                if finished is not None:
                    finished.append(row)
                return row

        return list(await asyncio.gather(*(one(p, n) for p, n in zip(inputs, report_names(inputs), strict=True))))


async def _one(pipeline: Any, item: tuple[Path, str], out: Path, on_step: Any, skip_done: bool) -> dict[str, Any]:
    from hybridgraph.errors import HybridGraphError
    from hybridgraph.graphs.pipeline import input_sha256
    from hybridgraph.tools.reports import finished_reports

    path, name = item
    if skip_done:
        digests = (await asyncio.to_thread(input_sha256, path), pipeline.fingerprint)
        spec = pipeline.spec
        earlier = await asyncio.to_thread(finished_reports, out, name, spec.name, digests, spec.outputs)
        if earlier is not None:
            return {"input": str(path), "skipped": True, "reports": [str(f) for f in earlier]}
    try:
        result = await pipeline.run(path, on_step=on_step)
        files = pipeline.write_reports(result, out, name) if result.report is not None else []
    except HybridGraphError as exc:
        return {"input": str(path), "error": exc.message, "fix": exc.fix}
    except OSError as exc:
        return {"input": str(path), "error": f"cannot write the reports: {exc.strerror}", "fix": f"check {out}"}
    except Exception as exc:  # noqa: BLE001 - one document's bug must not lose the batch
        fix = "re-run this document alone with HYBRIDGRAPH_DEBUG=1 for the traceback, and report it"
        return {"input": str(path), "error": f"unexpected {type(exc).__name__}", "fix": fix}
    report = result.report
    return {
        "input": str(path),
        "run_id": result.run_id,
        "status": result.status,
        "reports": [str(f) for f in files],
        "summary": report.summary if report else {},
        "needs_review": report.needs_review if report else 0,
        "skipped_escalations": report.skipped_escalations if report else [],
        "economics": result.state.get("economics", {}),
    }


def _summary(pipeline: Any, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape

    from hybridgraph.home import DataHome

    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    traces = DataHome.from_env().traces
    for row in rows:
        if row.get("skipped"):
            name, reports = escape(Path(row["input"]).name), escape(", ".join(row["reports"]))
            out.print(f"[bold]{name}[/]: done earlier · reports: {reports}")
            continue
        if row.get("error"):
            err.print(f"[bold red]{escape(row['input'])}[/]: {escape(row['error'])}")
            err.print(f"  [bold]Fix:[/] {escape(str(row.get('fix') or ''))}")
            continue
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(row["summary"].items())) or "no findings"
        out.print(
            f"[bold]{escape(Path(row['input']).name)}[/]: {row['status']} · {counts} · {row['needs_review']} to review"
        )
        for skipped in row["skipped_escalations"]:
            out.print(f"  [yellow]{escape(skipped)}[/]")
        e = row["economics"]
        zones = "; ".join(
            f"{z} {int(v['calls'])} calls, {int(v['input_tokens'] + v['output_tokens'])} tokens"
            for z, v in e.get("zones", {}).items()
        )
        local = f"{e.get('local_share', 1.0):.0%} of {e.get('model_steps', 0)} model steps local"
        out.print(f"  routing: {local} ({zones or 'none'}); cost ${e.get('cost_usd', 0.0):.4f}")
        out.print(f"  reports: {escape(', '.join(row['reports']))}")
        run = row["run_id"]
        out.print(f"  [dim]run {run} · trace {traces / f'{run}.json'} (hybridgraph trace show|open {run})[/]")


def validate_command(file: Annotated[Path, typer.Argument(help="a pipeline YAML file")]) -> None:
    """Check a pipeline file: keys, agents and their settings, policy, checklist, edges."""
    from hybridgraph.graphs.pipeline import Pipeline

    spec = Pipeline.from_yaml(file).spec
    typer.echo(
        f"{file}: pipeline '{spec.name}' is valid ({len(spec.steps)} steps: {' → '.join(s.id for s in spec.steps)})"
    )


def schema_command(
    what: Annotated[str, typer.Argument(help="pipeline (default), report or policy")] = "pipeline",
) -> None:
    """Print a JSON Schema, for editors' autocompletion and for validating reports."""
    from hybridgraph.errors import ConfigError

    if what not in ("pipeline", "report", "policy"):
        raise ConfigError(f"there is no schema '{what}'", fix="use pipeline, report or policy")
    typer.echo(json.dumps(pipeline_schema() if what == "pipeline" else _model(what).model_json_schema(), indent=2))


def pipeline_schema() -> dict[str, Any]:
    """The pipeline JSON Schema, with the registered agents' names as the choices for ``agent``."""
    from hybridgraph.graphs.registry import agents
    from hybridgraph.graphs.spec import PipelineSpec

    schema = PipelineSpec.model_json_schema(by_alias=True)
    schema["$defs"]["StepSpec"]["properties"]["agent"]["examples"] = sorted(agents())
    return schema


def _model(what: str) -> Any:
    from hybridgraph.policies import Policy
    from hybridgraph.tools.reports import Report

    return {"report": Report, "policy": Policy}[what]


def pipelines_command() -> None:
    """List the shipped pipelines and the registered agents."""
    from rich.console import Console

    from hybridgraph.graphs.pipeline import Pipeline, shipped_pipelines
    from hybridgraph.graphs.registry import agents

    console = Console()
    for name in shipped_pipelines():
        spec = Pipeline.load(name).spec
        console.print(f"[bold]{name}[/]: {' '.join(spec.description.split())}")
    console.print(f"agents: {', '.join(sorted(agents()))}")
