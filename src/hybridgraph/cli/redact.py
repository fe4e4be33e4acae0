"""``hybridgraph redact``: pseudonymise a document locally, for people and for batch evaluation."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

__all__ = ["redact_command"]


class _Job(NamedTuple):
    detector: Any  # PiiDetector, imported lazily to keep --help fast
    rules: Any  # ClassificationRules


def redact_command(
    source: Annotated[str, typer.Argument(help="text file, or '-' for standard input")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="add findings, sensitivity and timings")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='batch: read lines of {"id", "text"}, write one result line each')
    ] = False,
    deny: Annotated[list[str] | None, typer.Option("--deny", help="confidential term to redact (repeatable)")] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="classification rules (YAML): entity levels, keywords, default")
    ] = None,
) -> None:
    """Print the text with personal and confidential data replaced by placeholders such as <PERSON_1>."""
    from hybridgraph.textinput import read_text_input
    from hybridgraph.tools.pii.classify import ClassificationRules
    from hybridgraph.tools.pii.detector import DetectorConfig, PiiDetector

    job = _Job(
        PiiDetector(DetectorConfig(deny_list=tuple(deny or ()))),
        ClassificationRules.from_file(rules) if rules else ClassificationRules(),
    )
    text = read_text_input(source)
    if jsonl:
        _batch(job, text.splitlines())
    elif as_json:
        typer.echo(json.dumps(_redact(job, text, timings=True), ensure_ascii=False, indent=2))
    else:
        result = _redact(job, text, show_progress=True)
        for warning in result.get("warnings", ()):
            typer.echo(f"Warning: {warning}", err=True)
        typer.echo(result["redacted"], nl=not result["redacted"].endswith("\n"))


def _redact(job: _Job, text: str, *, timings: bool = False, show_progress: bool = False) -> dict[str, Any]:
    from hybridgraph.tools.pii import Vault, pseudonymize
    from hybridgraph.tools.pii.classify import classify

    started = time.perf_counter()
    findings = (
        _detect_with_bar(job.detector, text) if show_progress and sys.stderr.isatty() else job.detector.detect(text)
    )
    detected = time.perf_counter()
    verdict = classify(text, findings, job.rules)
    result: dict[str, Any] = {
        "redacted": pseudonymize(text, findings, Vault()),
        "findings": [
            {"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": round(f.score, 3)} for f in findings
        ],
        "sensitivity": verdict.level.value,
    }
    if verdict.warnings:
        result["warnings"] = list(verdict.warnings)
    if timings:
        result["reasons"] = list(verdict.reasons)
        result["timings"] = {
            "detect_s": round(detected - started, 4),
            "total_s": round(time.perf_counter() - started, 4),
        }
    return result


def _detect_with_bar(detector: Any, text: str) -> Any:
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr()) as bar:
        task = bar.add_task("detecting", total=len(text))
        return detector.detect(text, progress=lambda done, total: bar.update(task, completed=done))


def _batch(job: _Job, lines: list[str]) -> None:
    """One output line per input line; a bad line gets an error line and the batch goes on."""
    from rich.progress import Progress

    with Progress(transient=True, disable=not sys.stderr.isatty(), console=_stderr()) as progress:
        task = progress.add_task("redacting", total=len(lines))
        for number, line in enumerate(lines, start=1):
            if line.strip():
                sys.stdout.write(json.dumps(_batch_line(job, line, number), ensure_ascii=False) + "\n")
            progress.advance(task)


def _batch_line(job: _Job, line: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
        text = record["text"]
        if not isinstance(text, str):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        return {"id": None, "line": number, "error": 'not a JSON object with a string "text"'}
    from hybridgraph.errors import InputError
    from hybridgraph.textinput import refuse_nul

    try:
        refuse_nul(text, "the text")  # the same rule as for a file: a NUL ("\u0000") is refused
    except InputError as exc:
        return {"id": record.get("id"), "line": number, "error": exc.message}
    return {"id": record.get("id"), **_redact(job, text)}


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)
