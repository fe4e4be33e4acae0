"""The pieces of a text that a task is about: BM25 against the task's query, over the text's
clause-aligned pieces. The cloud consultant sends only these (selective disclosure); the local
solver reads only these of a long document, so a small model sees the clause, not the preamble;
the contract review's clause finder takes its candidates from ``rank_pieces``.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

from hybridgraph.tools.chunking import Chunk, split_contract
from hybridgraph.tools.sparse import Bm25Encoder, SparseVector

__all__ = ["Piece", "rank_pieces", "select_excerpts"]


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
    chunks, vectors, frequency = _indexed(text, chars)
    wanted = Bm25Encoder().query(query)
    n = len(vectors)
    weights = {
        t: w * math.log(1 + (n - frequency[t] + 0.5) / (frequency[t] + 0.5))
        for t, w in zip(wanted.indices, wanted.values, strict=True)
    }
    pieces = []
    for chunk, vector in zip(chunks, vectors, strict=True):
        score = sum(w * weights.get(t, 0.0) for t, w in zip(vector.indices, vector.values, strict=True))
        if score > 0:
            pieces.append(Piece(chunk.start, chunk.end, score))
    return sorted(pieces, key=lambda p: (-p.score, p.start))


@functools.lru_cache(maxsize=4)
def _indexed(text: str, chars: int) -> tuple[list[Chunk], list[SparseVector], Counter[int]]:
    """The pieces of ``text``, their BM25 vectors and each term's document frequency (cached:
    a review ranks the same document once per category)."""
    encoder = Bm25Encoder()
    chunks = split_contract(text, target=chars // 2, limit=chars)
    vectors = [encoder.passage(text[c.start : c.end]) for c in chunks]
    return chunks, vectors, Counter(t for v in vectors for t in v.indices)


def select_excerpts(text: str, query: str, count: int, chars: int) -> list[str]:
    """At most ``count`` pieces of ``text`` (about ``chars`` long) that match ``query``, best first,
    returned in text order. Pieces that share no word with the query are never chosen."""
    best = rank_pieces(text, query, chars)[:count]
    return [text[p.start : p.end] for p in sorted(best, key=lambda p: p.start)]  # nothing off-task leaves
