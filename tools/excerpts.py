"""The pieces of a text that a task is about: BM25 against the task's query, over the text's
clause-aligned pieces. The cloud consultant sends only these (selective disclosure); the local
solver reads only these of a long document, so a small model sees the clause, not the preamble.
"""

from __future__ import annotations

from hybridgraph.tools.chunking import split_contract
from hybridgraph.tools.sparse import Bm25Encoder

__all__ = ["select_excerpts"]


def select_excerpts(text: str, query: str, count: int, chars: int) -> list[str]:
    """At most ``count`` pieces of ``text`` (about ``chars`` long) that match ``query``, best first,
    returned in text order. Pieces that share no word with the query are never chosen."""
    encoder = Bm25Encoder()
    wanted = encoder.query(query)
    weights = dict(zip(wanted.indices, wanted.values, strict=True))
    pieces = [text[c.start : c.end] for c in split_contract(text, target=chars // 2, limit=chars)]
    scores = []
    for i, piece in enumerate(pieces):
        vector = encoder.passage(piece)
        scores.append((sum(w * weights.get(t, 0.0) for t, w in zip(vector.indices, vector.values, strict=True)), -i))
    best = sorted((i for i in range(len(pieces)) if scores[i][0] > 0), key=lambda i: scores[i], reverse=True)[:count]
    return [pieces[i] for i in sorted(best)]  # nothing that matches the task leaves at all
