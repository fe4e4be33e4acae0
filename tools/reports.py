"""Review reports: one data model (``Report``, whose JSON Schema ``hybridgraph schema report``
prints), written as JSON, Markdown and HTML.

A report lists every finding, violations first: category, the verbatim quote and where it is
(characters and line), the rule, the explanation, the route (local, cloud or human, and the
policy's rules that sent it there), the confidence, and why a person should look when one
should. It ends with a summary table per category, the routing and cost summary, and the
escalations that were skipped. Reports are for the people who run the review, on this
machine: they hold the document's real names.

Text that comes from the document or a model (quotes, explanations, file names) is written
with ``md_text``: it renders as exactly its text, so a Markdown image or link in a clause is
shown, never fetched or made a link. The HTML page renders no images, links or raw HTML at
all, and its Content-Security-Policy lets it load nothing but its own inline style.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FORMATS",
    "Report",
    "ReportFinding",
    "build_report",
    "finished_reports",
    "md_text",
    "report_path",
    "write_reports",
]

SCHEMA_VERSION = "2"  # 2: input_sha256 and pipeline_sha256
FORMATS = {"json": "json", "markdown": "md", "html": "html"}
_ORDER = {"violation": 0, "needs_review": 1, "compliant": 2, "not_found": 3}


class ReportFinding(BaseModel):
    """One finding of a report."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="the category name, exactly as the pipeline lists it")
    status: Literal["violation", "needs_review", "compliant", "not_found"]
    quote: str = Field(description="the clause, word for word from the document ('' when not found)")
    start: int = Field(description="character offset of the quote in the document's text")
    end: int
    line: int | None = Field(description="the line the quote starts on (1-based)")
    rule: str = Field(description="the checklist rule violated (for statements: the statement's rule), or ''")
    label: str = Field(default="", description="statements: entailment, contradiction or not_mentioned")
    explanation: str
    route: Literal["local", "cloud", "human", "none"] = Field(description="where the judgement was made")
    route_reason: str = Field(description="the policy rules that fired, in order")
    confidence: float | None
    token_confidence: float | None = Field(
        default=None,
        description="the local answer's mean token probability (geometric), where its backend gives log-probabilities",
    )
    review: str = Field(description="why a person should check this item; '' when not needed")


class Report(BaseModel):
    """A pipeline's report on one document."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    pipeline: str
    run_id: str
    source: str
    input_sha256: str = Field(
        default="", description="the SHA-256 of the input file's bytes ('' for a text); --skip-done compares it"
    )
    pipeline_sha256: str = Field(
        default="",
        description="the SHA-256 of the pipeline's spec, policy, checklist, endpoints and hybridgraph version; "
        "--skip-done compares it",
    )
    created: str
    sensitivity: str
    entity_counts: dict[str, int] = Field(description="pseudonymised values per entity type (counts only)")
    findings: list[ReportFinding] = Field(description="violations first, then needs_review, compliant, not_found")
    summary: dict[str, int] = Field(description="findings per status")
    needs_review: int = Field(description="items a person should check")
    skipped_escalations: list[str] = Field(description="escalations not made, and why")
    economics: dict[str, Any]
    faults: list[dict[str, Any]]
    warnings: list[str]


def build_report(state: dict[str, Any], pipeline: str, source: str) -> Report:
    """The report of a finished run's state."""
    document = str(state.get("document", ""))
    findings = sorted(
        (_finding(f, document) for f in state.get("findings", [])),
        key=lambda f: (_ORDER[f.status], f.start if f.quote else 1 << 30),
    )
    skipped = sorted({f.review for f in findings if f.review.startswith("escalation skipped")})
    return Report(
        pipeline=pipeline,
        run_id=str(state.get("run_id", "")),
        source=source,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        sensitivity=str(state.get("sensitivity", "")),
        entity_counts=dict(state.get("entity_counts", {})),
        findings=findings,
        summary=dict(Counter(f.status for f in findings)),
        needs_review=sum(1 for f in findings if f.review or f.status == "needs_review"),
        skipped_escalations=skipped,
        economics=dict(state.get("economics") or {}),
        faults=[dict(f) for f in state.get("faults", [])],
        warnings=list(dict.fromkeys(state.get("warnings", []))),
    )


def _finding(f: dict[str, Any], document: str) -> ReportFinding:
    found = bool(f.get("quote"))
    status = f.get("status") or ("needs_review" if found else "not_found")
    review = f.get("review", "") or (
        "not judged by any model in this run; judge it by hand" if not f.get("status") and found else ""
    )
    return ReportFinding(
        category=f["category"],
        status=status,  # type: ignore[arg-type]
        quote=f.get("quote", ""),
        start=f.get("start", 0),
        end=f.get("end", 0),
        line=document.count("\n", 0, f.get("start", 0)) + 1 if found else None,
        rule=f.get("rule", ""),
        label=f.get("label", ""),
        explanation=f.get("explanation", "" if found else "no clause of this category was found"),
        route=f.get("route") or "none",
        route_reason=f.get("route_reason", ""),
        confidence=f.get("confidence"),
        token_confidence=f.get("token_confidence"),
        review=review,
    )


def write_reports(
    report: Report, out: Path, formats: tuple[str, ...] = tuple(FORMATS), name: str | None = None
) -> list[Path]:
    """Write ``report`` to ``out`` in ``formats``, as ``NAME.PIPELINE.EXT`` (``name``: the source's
    stem). Each file is replaced whole (a reader never sees half of one), and the JSON report is
    written last, so its presence means the others are there too (``finished_reports``)."""
    out.mkdir(parents=True, exist_ok=True)
    render = {
        "json": lambda: report.model_dump_json(indent=2),
        "markdown": lambda: markdown(report),
        "html": lambda: to_html(report),
    }
    paths = {kind: report_path(out, name or Path(report.source).stem, report.pipeline, kind) for kind in formats}
    for kind in sorted(formats, key=lambda k: k == "json"):
        handle, where = tempfile.mkstemp(dir=out, prefix=f".{paths[kind].name}.", suffix=".tmp")
        temporary = Path(where)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:  # readable by its owner only: real names
                fh.write(render[kind]() + "\n")
            temporary.replace(paths[kind])
        finally:
            temporary.unlink(missing_ok=True)  # left only when writing failed (a full disk)
    return [paths[kind] for kind in formats]


def report_path(out: Path, name: str, pipeline: str, kind: str) -> Path:
    """Where the ``kind`` report of document ``name`` by ``pipeline`` goes in ``out``."""
    return out / f"{name or 'document'}.{pipeline}.{FORMATS[kind]}"


def finished_reports(
    out: Path, name: str, pipeline: str, digests: tuple[str, str], formats: tuple[str, ...]
) -> list[Path] | None:
    """The reports an earlier run of ``pipeline`` wrote in ``out`` for this very input and this
    very pipeline (its JSON report holds the same ``digests``: input and pipeline SHA-256), or
    None when there are none to reuse."""
    path = report_path(out, name, pipeline, "json")
    try:
        earlier = Report.model_validate_json(path.read_bytes())
    except (OSError, ValueError):  # missing, unreadable, cut short or not a report: run it again
        return None
    if earlier.pipeline != pipeline or not all(digests) or (earlier.input_sha256, earlier.pipeline_sha256) != digests:
        return None
    files = [report_path(out, name, pipeline, kind) for kind in formats]
    return files if all(f.is_file() for f in files) else None


def markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = [f"# {md_text(report.pipeline)}: {md_text(Path(report.source).name)}", ""]
    lines += [
        f"Run `{report.run_id}` · {report.created} · sensitivity **{report.sensitivity}** · "
        f"{report.needs_review} item(s) need a person's review",
        "",
    ]
    if report.skipped_escalations:
        lines += ["> **Escalations skipped.** " + " ".join(map(md_text, report.skipped_escalations)), ""]
    for i, f in enumerate((f for f in report.findings if f.status != "not_found"), 1):
        lines += _finding_md(i, f)
    lines += [
        "## Summary",
        "",
        "| category | status | rule | route | confidence | review |",
        "|---|---|---|---|---|---|",
    ]
    for f in report.findings:
        confidence = "" if f.confidence is None else f"{f.confidence:.2f}"
        review = "yes" if f.review or f.status == "needs_review" else ""
        lines.append(
            f"| {md_text(f.category)} | {f.status} | {md_text(f.rule)} | {f.route} | {confidence} | {review} |"
        )
    lines += ["", *_economics_md(report)]
    return "\n".join(lines)


def _finding_md(i: int, f: ReportFinding) -> list[str]:
    title = f"## {i}. {md_text(f.category)}: {f.status.replace('_', ' ')}" + (f" ({md_text(f.rule)})" if f.rule else "")
    lines = [title, ""]
    if f.quote:
        lines += [f"> {md_text(f.quote)}", "", f"*Line {f.line}, characters {f.start} to {f.end}.*", ""]
    if f.label:
        lines.append(f"- **Label:** {f.label.replace('_', ' ')}")
    lines += [
        f"- **Explanation:** {md_text(f.explanation)}",
        f"- **Route:** {f.route} ({md_text(f.route_reason or 'no model step')})",
        f"- **Confidence:** {'n/a' if f.confidence is None else f'{f.confidence:.2f}'}",
    ]
    if f.review:
        lines.append(f"- **Needs review:** {md_text(f.review)}")
    return [*lines, ""]


def _economics_md(report: Report) -> list[str]:
    e = report.economics
    zones = e.get("zones", {})
    parts = [
        f"{z}: {int(v['calls'])} call(s), {int(v['input_tokens'] + v['output_tokens'])} tokens"
        for z, v in zones.items()
    ]
    lines = ["## Routing and cost", ""]
    lines.append(f"- Model steps: {e.get('model_steps', 0)}, kept local: {e.get('local_share', 1.0):.0%}")
    lines.append(f"- By zone: {'; '.join(parts) or 'no model calls'}")
    lines.append(f"- Cost: ${e.get('cost_usd', 0.0):.4f}")
    if e.get("counterfactual_usd") is not None:
        lines.append(
            f"- All in the cloud ({e.get('counterfactual_endpoint')}) would have cost ${e['counterfactual_usd']:.4f}"
        )
    faults = (f"{f.get('endpoint')} {f.get('error')}: {f.get('message')}" for f in report.faults)
    lines += [f"- Fault: {md_text(fault)}" for fault in faults]
    lines += [f"- Note: {md_text(w)}" for w in report.warnings]
    return lines


def to_html(report: Report) -> str:
    """The report as a standalone HTML page (the Markdown, rendered) that loads nothing: no raw
    HTML, images or links are rendered, and its Content-Security-Policy allows only inline style."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["image", "link", "autolink"])
    body = renderer.render(markdown(report))
    title = html.escape(f"{report.pipeline}: {Path(report.source).name}")
    return (
        f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>{_CSP}"
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n{body}</body></html>"
    )


def md_text(value: object) -> str:
    """``value`` as Markdown on one line that renders as exactly its text in CommonMark and GFM:
    runs of white space become one space, and every character that could start an image, a
    link, an autolink (``<…>``, ``http://``, a domain name, e-mail), raw HTML, code, emphasis or
    a table cell is escaped with a backslash."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), " ".join(str(value).split()))


# the dot between letters too: viewers that linkify (GitHub, VS Code) turn "evil.example" into a link
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&#@]|:(?=/)|(?<=\w)\.(?=[^\W\d_])")
_CSP = (
    "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    "<meta name='referrer' content='no-referrer'>"
)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "blockquote{border-left:4px solid #999;margin:0;padding:.2rem 1rem;background:#f6f6f6}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
)
