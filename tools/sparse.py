"""BM25 as sparse vectors, for Qdrant's hybrid (dense + lexical) search.

A term is a lower-case word or number. ``Bm25Encoder``, which the knowledge base indexes and
searches with, keeps words as written; ``StemmedBm25Encoder``, which the clause finder ranks
contract pieces with, Snowball-stems them ("terminates" and "termination" meet). Measured on
CUAD (``bench/retrieval_eval.py``, the knowledge base's own ingestion and search, first 100
contracts, one session), words beat stems: recall@1 / @3 0.851 / 0.951 against 0.826 / 0.935
lexical, 0.857 / 0.947 against 0.824 / 0.926 hybrid (the rank fusion of that time); in memory
on the other 308 contracts, lexical @1 0.799 against 0.784. The finder's per-category
thresholds were chosen on stemmed scores, so it keeps them. Function words are kept: "no",
"not" and "any" matter in legal text, and dropping them lowered recall on CUAD (recall@3 0.924
→ 0.890), while IDF already discounts them. A term's index is a stable 32-bit hash (CRC32), so
no vocabulary is stored and a term never seen at ingest simply matches nothing.

A passage weighs each term by BM25's saturated term frequency,
``tf·(k1+1) / (tf + k1·(1 - b + b·len/avg_len))``; a query weighs each term by how often it
occurs in the query, so several phrasings of one question joined into one query add up their
BM25 scores. The collection's sparse vector has Qdrant's IDF modifier: Qdrant multiplies by each
term's inverse document frequency, and the dot product is the BM25 score. ``avg_len`` is fixed
(contract passages average about 145 terms), so a passage's vector never changes when others are
added.
"""

from __future__ import annotations

import functools
import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["Bm25Encoder", "SparseVector", "StemmedBm25Encoder"]

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class SparseVector:
    """Term indices and their weights, as Qdrant takes them."""

    indices: list[int]
    values: list[float]


class Bm25Encoder:
    """Turns passages and queries into BM25 sparse vectors of words (k1 1.2, b 0.75)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, avg_len: float = 150.0) -> None:
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def terms(self, text: str) -> list[str]:
        """The lower-case words of ``text``, in order."""
        return _WORD.findall(text.lower())

    def passage(self, text: str) -> SparseVector:
        """A passage's vector: saturated, length-normalised term frequencies."""
        counts = Counter(_index(t) for t in self.terms(text))
        norm = self.k1 * (1 - self.b + self.b * sum(counts.values()) / self.avg_len)
        indices = sorted(counts)
        return SparseVector(indices, [counts[i] * (self.k1 + 1) / (counts[i] + norm) for i in indices])

    def query(self, text: str) -> SparseVector:
        """A query's vector: each term weighted by its count in ``text`` (Qdrant adds the IDF)."""
        counts = Counter(_index(t) for t in self.terms(text))
        indices = sorted(counts)
        return SparseVector(indices, [float(counts[i]) for i in indices])


class StemmedBm25Encoder(Bm25Encoder):
    """``Bm25Encoder`` over Snowball stems instead of words."""

    def terms(self, text: str) -> list[str]:
        """The stemmed words of ``text``, in order."""
        return [_stem(w) for w in super().terms(text)]


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


_local = threading.local()


def _stemmer() -> Any:
    """This thread's Snowball stemmer: a stemmer keeps its word and cursor in itself, so two
    threads sharing one garble each other's words (an IndexError, when two documents' clauses
    are ranked at once)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def _index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))
