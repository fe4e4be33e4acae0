"""Ingestion: files to passages in a collection, each passage classified and embedded locally.

Contracts are split along their sections and clauses, other documents by size with overlap.
The redactor's detector runs once per document, and each passage gets the sensitivity of the
findings and keywords inside it, so retrieval can withhold what a consumer may not see.
Embeddings are computed in batches across files. A file that cannot be read is reported and
skipped; the run goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybridgraph.errors import InputError
from hybridgraph.tools.chunking import Chunk, join_chunks, split_contract, split_plain
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.loaders import MAX_BYTES, LoadedDocument, expand_paths, load_document
from hybridgraph.tools.pii.classify import ClassificationRules, classify_spans
from hybridgraph.tools.pii.detector import Detector, shared_detector
from hybridgraph.tools.sparse import Bm25Encoder
from hybridgraph.tools.vectorstore import Passage, QdrantStore

__all__ = ["IngestReport", "Ingestor", "embedding_text", "expand_paths"]


@dataclass
class IngestReport:
    """What an ingestion run did."""

    files: int = 0
    chunks: int = 0
    characters: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Ingestor:
    """Loads, splits, classifies, embeds and stores documents."""

    def __init__(
        self,
        store: QdrantStore,
        embedder: Embedder,
        detector: Detector | None = None,
        rules: ClassificationRules | None = None,
        *,
        tenant: str = "default",
        batch_size: int = 64,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.store, self.embedder = store, embedder
        self.detector = detector or shared_detector()
        self.rules = rules or ClassificationRules()
        self.tenant, self.batch_size, self.max_bytes = tenant, batch_size, max_bytes
        self.lexical = Bm25Encoder()

    async def ingest(
        self,
        paths: Sequence[Path],
        collection: str,
        progress: Callable[[Path, int], None] | None = None,
        doc_type: str | None = None,
    ) -> IngestReport:
        """Ingest every supported file under ``paths``; ``progress(path, chunks)`` after each file."""
        started = time.perf_counter()
        report = IngestReport()
        await self.store.ensure_collection(collection, self.embedder.dim)
        pending: list[Passage] = []
        for path in expand_paths(paths):
            try:
                document = await asyncio.to_thread(load_document, path, self.max_bytes, doc_type)
                passages = await asyncio.to_thread(self.passages, document)
            except InputError as exc:
                report.skipped.append((str(path), exc.message))
                passages = []
            else:
                report.files += 1
                report.chunks += len(passages)
                report.characters += sum(p.end - p.start for p in passages)
            pending += passages
            while len(pending) >= self.batch_size:
                await self._flush(collection, pending[: self.batch_size])
                del pending[: self.batch_size]
            if progress is not None:
                progress(path, len(passages))
        await self._flush(collection, pending)
        report.seconds = time.perf_counter() - started
        return report

    def passages(self, document: LoadedDocument) -> list[Passage]:
        """The document's chunks as passages, each with its own sensitivity."""
        text = document.text
        structured = document.doc_type in ("contract", "checklist")
        chunks = split_contract(text) if structured else split_plain(text)
        findings = self.detector.detect(text)
        levels = classify_spans(text, findings, [(c.start, c.end) for c in chunks], self.rules)
        if document.doc_type == "contract":  # short neighbours of one level are joined (ranked better)
            groups = join_chunks(chunks, [level.level for level in levels])
            chunks = [Chunk(chunks[g[0]].start, chunks[g[-1]].end, chunks[g[0]].section) for g in groups]
            levels = [levels[g[0]] for g in groups]
        return [
            Passage(
                text=text[c.start : c.end],
                source=document.source,
                chunk_id=i,
                start=c.start,
                end=c.end,
                sensitivity=level.level,
                doc_type=document.doc_type,
                tenant=self.tenant,
                section=c.section,
            )
            for i, (c, level) in enumerate(zip(chunks, levels, strict=True))
        ]

    async def _flush(self, collection: str, passages: list[Passage]) -> None:
        if passages:
            texts = [embedding_text(p) for p in passages]
            vectors = await self.embedder.embed(texts)
            await self.store.upsert(collection, passages, vectors, [self.lexical.passage(t) for t in texts])


def embedding_text(passage: Passage) -> str:
    """What is embedded: the section heading (if the passage does not start with it) and the text."""
    text = passage.text.strip()
    if passage.section and not text.startswith(passage.section):
        return f"{passage.section}\n{text}"
    return text
