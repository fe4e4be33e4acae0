"""The pieces of a text that a task is about: BM25 against the task's query, over the text's
clause-aligned pieces. The cloud consultant sends only these (selective disclosure); the local
solver reads only these of a long document, so a small model sees the clause, not the preamble;
the contract review's clause finder scores pieces with ``lexical_scores`` and, when the local
embedding model is installed, ``semantic_scores``.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hybridgraph.tools.chunking import Chunk, split_contract
from hybridgraph.tools.sparse import SparseVector, StemmedBm25Encoder

__all__ = ["Piece", "lexical_scores", "rank_pieces", "select_excerpts", "semantic_scores"]


@dataclass(frozen=True)
class Piece:
    """``text[start:end]`` and how well it matches the query (the BM25 dot product)."""

    start: int
    end: int
    score: float


def rank_pieces(text: str, query: str, chars: int) -> list[Piece]:
    """The clause-aligned pieces of ``text`` (about ``chars`` long) that share a word with
    ``query``, best first (ties: earlier first). Query words are weighted by their inverse
    document frequency over the pieces, so words every piece has ("party", "agreement") count
    for little and the words that set a clause apart decide."""
    pieces = [p for p in lexical_scores(text, query, chars) if p.score > 0]
    return sorted(pieces, key=lambda p: (-p.score, p.start))


def lexical_scores(text: str, query: str, chars: int) -> list[Piece]:
    """Every piece of ``text`` with its BM25 score against ``query`` (see ``rank_pieces``), in text order."""
    chunks, vectors, frequency = _indexed(text, chars)
    wanted = StemmedBm25Encoder().query(query)
    n = len(vectors)
    weights = {
        t: w * math.log(1 + (n - frequency[t] + 0.5) / (frequency[t] + 0.5))
        for t, w in zip(wanted.indices, wanted.values, strict=True)
    }
    return [
        Piece(chunk.start, chunk.end, sum(w * weights.get(t, 0.0) for t, w in zip(v.indices, v.values, strict=True)))
        for chunk, v in zip(chunks, vectors, strict=True)
    ]


def semantic_scores(text: str, phrasings: tuple[str, ...], chars: int) -> list[float]:
    """Per piece of ``text`` (in text order), its mean cosine similarity to ``phrasings`` under the
    local embedding model (all-MiniLM-L6-v2; ``DependencyMissingError`` without the embedded
    extra). Blocking and CPU-bound: call it from a worker thread."""

    pieces = _embedded(text, chars)
    return [float(x) for x in pieces @ _phrasings(phrasings).mean(axis=0)] if len(pieces) else []


@functools.lru_cache(maxsize=16)  # a batch ranks up to 8 documents at once, each once per category
def _embedded(text: str, chars: int) -> Any:
    import numpy as np

    chunks = _indexed(text, chars)[0]
    vectors = _embedder().embed_sync([text[c.start : c.end] for c in chunks]) if chunks else []
    return np.array(vectors).reshape(len(chunks), -1)


@functools.lru_cache(maxsize=256)
def _phrasings(phrasings: tuple[str, ...]) -> Any:
    import numpy as np

    return np.array(_embedder().embed_sync(list(phrasings)))


@functools.cache
def _embedder() -> Any:
    from hybridgraph.tools.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.model  # noqa: B018  # load now: a missing extra is an error here, not mid-ranking
    return embedder


@functools.lru_cache(maxsize=16)
def _indexed(text: str, chars: int) -> tuple[list[Chunk], list[SparseVector], Counter[int]]:
    """The pieces of ``text``, their BM25 vectors and each term's document frequency (cached:
    a review ranks the same document once per category)."""
    encoder = StemmedBm25Encoder()
    chunks = split_contract(text, target=chars // 2, limit=chars)
    vectors = [encoder.passage(text[c.start : c.end]) for c in chunks]
    return chunks, vectors, Counter(t for v in vectors for t in v.indices)


def select_excerpts(text: str, query: str, count: int, chars: int) -> list[str]:
    """At most ``count`` pieces of ``text`` (about ``chars`` long) that match ``query``, best first,
    returned in text order. Pieces that share no word with the query are never chosen."""
    best = rank_pieces(text, query, chars)[:count]
    return [text[p.start : p.end] for p in sorted(best, key=lambda p: p.start)]  # nothing off-task leaves
