"""``hybridgraph ingest`` and ``hybridgraph search``: the local knowledge base in Qdrant."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridgraph.errors import InputError

__all__ = ["ingest_command", "search_command"]

CollectionOption = Annotated[str, typer.Option("--collection", "-c", help="collection name")]


def ingest_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or folders (PDF, DOCX, HTML, Markdown, text)")
    ] = None,
    collection: CollectionOption = "",
    builtin: Annotated[
        str | None, typer.Option("--builtin", help="a document shipped with hybridgraph: procurement-checklist")
    ] = None,
    tenant: Annotated[str, typer.Option(help="tenant recorded with every passage")] = "default",
    doc_type: Annotated[
        str | None, typer.Option("--doc-type", help="contract, checklist or document (default: guessed per file)")
    ] = None,
    max_mb: Annotated[float, typer.Option("--max-mb", help="skip files larger than this")] = 20.0,
    replace: Annotated[
        bool, typer.Option("--replace", help="delete the collection's passages first (e.g. one an older version made)")
    ] = False,
) -> None:
    """Split, classify, embed and store documents; unreadable files are reported and skipped.
    Exit 1 when any file was skipped (the others are stored)."""
    if not collection:
        raise InputError("no collection given", fix="add --collection NAME")
    if doc_type not in (None, "contract", "checklist", "document"):
        raise InputError(
            f"--doc-type must be 'contract', 'checklist' or 'document', not '{doc_type}'", fix="or leave it out"
        )
    files = list(paths or [])
    if builtin:
        from hybridgraph.tools.knowledge import builtin_path

        files.append(builtin_path(builtin))
    if not files:
        raise InputError("nothing to ingest", fix="pass files or folders, or --builtin procurement-checklist")
    report = asyncio.run(_ingest(files, collection, tenant, doc_type, int(max_mb * 2**20), replace))
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True)
    for source, reason in report.skipped:
        console.print(f"[yellow]skipped[/] {escape(source)}: {escape(reason)}", highlight=False)
    rate = report.chunks / report.seconds if report.seconds else 0.0
    typer.echo(
        f"{report.files} files, {report.chunks} chunks into '{collection}' in {report.seconds:.1f} s "
        f"({rate:.1f} chunks/s); {len(report.skipped)} skipped"
    )
    if report.skipped:  # exit 1, so that a script notices the files that are not in the collection
        console.print(
            f"[bold red]{len(report.skipped)} file(s) skipped[/], each for the reason above; "
            "[bold]Fix:[/] correct them and ingest them again",
            highlight=False,
        )
        raise typer.Exit(1)


async def _ingest(
    paths: list[Path], collection: str, tenant: str, doc_type: str | None, max_bytes: int, replace: bool
) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from hybridgraph.tools.embeddings import SentenceTransformerEmbedder
    from hybridgraph.tools.ingest import Ingestor, expand_paths
    from hybridgraph.tools.vectorstore import QdrantStore

    files = expand_paths(paths)
    if not files:
        raise InputError("no supported files were found", fix="pass PDF, DOCX, HTML, Markdown or text files")
    store = QdrantStore.from_env()
    ingestor = Ingestor(store, SentenceTransformerEmbedder(), tenant=tenant, max_bytes=max_bytes)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        if replace and collection in await store.collections():
            await store.delete_collection(collection)  # only once every file to ingest was found
        with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("ingesting", total=len(files))
            return await ingestor.ingest(
                files, collection, progress=lambda path, n: bar.update(task, advance=1), doc_type=doc_type
            )
    finally:
        await store.close()


def search_command(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="QUERY", help="what to look for; several texts are phrasings of one need (omit with --jsonl)"
        ),
    ] = None,
    collection: CollectionOption = "",
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="how many passages")] = 10,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="payload field=value, e.g. doc_type=contract (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="text, source, offsets and score per hit")] = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help='batch: lines of {"id", "query", "category", "k", "filter"} on stdin ("query": a text or a list; '
            '"category": as --category, which sets it for every line)',
        ),
    ] = False,
    mode: Annotated[
        str, typer.Option("--mode", help="hybrid (meaning and words, fused), dense (meaning) or lexical (words)")
    ] = "hybrid",
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="a clause category, e.g. 'Governing Law': its phrasings (unless QUERY is given) and cues; "
            "passages without its cues, or that open with definitions, rank lower",
        ),
    ] = "",
) -> None:
    """Find the passages that best match QUERY (several: phrasings of one need, searched together)."""
    from hybridgraph.tools.retrieval import SearchMode

    if mode not in SearchMode.__members__.values():
        raise InputError(f"--mode {mode!r} is not a search mode", fix="use hybrid, dense or lexical")
    if not collection:
        raise InputError("no collection given", fix="add --collection NAME (see hybridgraph ingest)")
    if jsonl:
        asyncio.run(_batch(collection, sys.stdin, SearchMode(mode), category))
        return
    if not category and (not query or not any(q.strip() for q in query)):
        raise InputError("no query given", fix='pass a query, e.g. hybridgraph search "liability cap" -c kb')
    need = _need(query or [], category)
    hits = asyncio.run(_search_many(collection, [(None, need, k, _parse_filters(filters or []))], SearchMode(mode)))[0]
    if as_json:
        typer.echo(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        p = hit.passage
        typer.echo(f"{rank:>2}. {hit.score:.3f}  {Path(p.source).name} [{p.start}:{p.end}]  {p.section}")
        typer.echo("    " + " ".join(p.text.split())[:200])


async def _batch(collection: str, lines: Any, mode: Any, category: str = "") -> None:
    """One result line per request line; ``category`` is the lines' default "category"."""
    requests = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            kind = str(item.get("category") or category) if isinstance(item, dict) else ""
            query = _query(item["query"]) if "query" in item or not kind else ()
            need = _need(query, kind)
            requests.append((item.get("id"), need, int(item.get("k", 10)), item.get("filter") or {}))
        except InputError as exc:  # an unknown category
            sys.stdout.write(json.dumps({"line": number, "error": f"{exc.message}; fix: {exc.fix}"}) + "\n")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            error = 'not a JSON object with a "query" (a text or a list of texts, not blank) or a "category"'
            sys.stdout.write(json.dumps({"line": number, "error": error}) + "\n")
    results = await _search_many(collection, requests, mode)
    for (rid, _, _, _), hits in zip(requests, results, strict=True):
        sys.stdout.write(json.dumps({"id": rid, "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False) + "\n")


def _need(query: Any, category: str) -> Any:
    """``query`` alone; with a category, its ``Need``, with ``query`` as the phrasings where it has any."""
    from dataclasses import replace

    from hybridgraph.tools.retrieval import Need, phrasings

    if not category:
        return query
    need = Need.category(category)
    return replace(need, phrasings=phrasings(query)) if any(q.strip() for q in query) else need


def _query(value: Any) -> tuple[str, ...]:
    """A batch line's "query": a text (or a number), or a list of texts (phrasings of one need), not blank."""
    from hybridgraph.tools.retrieval import phrasings

    if not isinstance(value, str | int | float | list):
        raise ValueError("not a query")
    try:
        return phrasings(value if isinstance(value, list) else str(value))
    except InputError:
        raise ValueError("not a query") from None


async def _search_many(collection: str, requests: list[tuple[Any, Any, int, dict[str, Any]]], mode: Any) -> list[Any]:
    """All queries with one store and one loaded model (none for lexical search)."""
    from hybridgraph.tools.retrieval import Searcher, SearchMode
    from hybridgraph.tools.vectorstore import QdrantStore

    store = QdrantStore.from_env()
    try:
        embedder = None  # the Searcher checks the collection before the model loads
        if mode is not SearchMode.LEXICAL:
            from hybridgraph.tools.embeddings import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder()
        searcher = Searcher(store, embedder, mode)
        return await searcher.search_many(collection, [(q, k, where) for _, q, k, where in requests])
    finally:
        await store.close()


def _parse_filters(items: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--filter '{item}' is not key=value", fix="e.g. --filter doc_type=contract")
        parsed[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value.strip()
    return parsed


def _hit_json(hit: Any) -> dict[str, Any]:
    p = hit.passage
    return {
        "score": round(hit.score, 4),
        "text": p.text,
        "source": p.source,
        "start": p.start,
        "end": p.end,
        "section": p.section,
        "sensitivity": p.sensitivity.value,
        "chunk_id": p.chunk_id,
    }
