"""``Searcher``: a query text in, the store's best passages out, by meaning, by words, or both.

- ``dense``: cosine over the embedder's vectors (finds paraphrases).
- ``lexical``: BM25 over words (finds the exact legal wording; needs no model, so it starts
  instantly).
- ``hybrid`` (the default): both, their scores fused (``hybridgraph.tools.fusion``).

Measured on CUAD (``bench/retrieval_eval.py``), BM25 ranks the labelled clause first far more
often than all-MiniLM-L6-v2 does, so the hybrid fusion counts the lexical scores three times.
Recall@1 / @3 / @5 of the labelled clause, ranked in memory on the same passages (the weight
and the candidate count were chosen on the first 100 contracts; the other 308 check them):
Qdrant's reciprocal rank fusion, lexical weight 2 and k 1, 0.850 / 0.947 / 0.954 and 0.802 /
0.930 / 0.956; these scores fused, 0.851 / 0.961 / 0.980 and 0.811 / 0.943 / 0.966 (each
category's phrasings as one text). See the README for the full table.

A query may be several phrasings of one need (``["liability cap", "aggregate liability shall not
exceed"]``): BM25 scores them as one text, and the dense side searches with their centroid, the
mean of their unit vectors, so a passage ranks by its mean cosine similarity to them (the clause
finder's semantic score, ``hybridgraph.tools.excerpts``). Each CUAD category's phrasings as one
query this way, instead of one text, took dense recall@1 / @3 / @5 (in memory, same passages)
from 0.649 / 0.820 / 0.857 to 0.651 / 0.823 / 0.859 on the first 100 contracts and from 0.617 /
0.805 / 0.866 to 0.628 / 0.818 / 0.877 on the other 308. Hybrid moved within ±0.009 either way
(first 100: 0.851 / 0.961 / 0.980 to 0.844 / 0.961 / 0.971; other 308: 0.811 / 0.943 / 0.966 to
0.816 / 0.942 / 0.965; all 408 in one collection: 0.820 / 0.944 / 0.969 to 0.821 / 0.950 /
0.968). The best phrasing alone (the maximum cosine) ranked worse than one text.

A ``Need`` also says what tells a passage is not the one wanted: a clause category's cues
(words its clause cannot do without) and, for a clause, an opening definition. Each such sign
costs the passage ``DEMOTION`` of its fused score. All 408 contracts in memory: recall@1 / @3 /
@5 0.821 / 0.950 / 0.968 with the phrasings alone, 0.853 / 0.961 / 0.978 with the categories'
needs; on the even-numbered contracts, on which the demotion was chosen, 0.796 to 0.828, and on
the odd ones 0.851 to 0.885.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.knowledge import clause_categories, opens_with_definition
from hybridgraph.tools.sparse import Bm25Encoder
from hybridgraph.tools.vectorstore import Hit, Passage, QdrantStore
from hybridgraph.zones import Sensitivity

__all__ = ["DEMOTION", "LEXICAL_WEIGHT", "Need", "Query", "SearchMode", "Searcher", "phrasings"]

#: In hybrid search, how much more the BM25 scores count than the dense ones in the fusion.
LEXICAL_WEIGHT = 3.0

#: In hybrid search, what a passage loses of its fused score for each sign that it is not what a
#: ``Need`` asks for (the lexical side alone counts up to 3). Chosen on CUAD's even-numbered
#: contracts, checked on the odd ones; see the README.
DEMOTION = 1.0


@dataclass(frozen=True)
class Need:
    """One kind of passage to find, with what tells a passage is not it. Each sign costs the
    passage ``DEMOTION``:

    - ``cues``: words such a passage cannot do without (a pattern, any match will do); a passage
      with none of them ranks lower. A clause on termination for convenience that never says
      "convenience", "without cause" or the like is rarely one.
    - ``clause``: the need is a clause that does something, so a passage that opens with
      definitions ranks lower: the definition of "Change of Control" is not the clause that lets
      a party terminate on one.
    """

    phrasings: tuple[str, ...]
    cues: re.Pattern[str] | None = None
    clause: bool = False

    @classmethod
    def category(cls, name: str) -> Need:
        """A shipped clause category: its phrasings and cues (``clause-categories.yaml``), a clause."""
        by_key = {c.name.casefold(): c for c in clause_categories()}
        found = by_key.get(name.strip().casefold())
        if found is None:
            near = difflib.get_close_matches(name.strip().casefold(), list(by_key), n=1)
            hint = f"did you mean '{by_key[near[0]].name}'? " if near else ""
            names = ", ".join(c.name for c in by_key.values())
            raise InputError(f"there is no clause category '{name}'", fix=f"{hint}use one of: {names}")
        return cls(found.phrasings, found.cue, clause=True)

    def demotion(self, passage: Passage) -> float:
        """What ``passage`` loses in the ranking (0: nothing tells it is not what is needed)."""
        lost = 0.0
        if self.cues is not None and self.cues.search(passage.text) is None:
            lost += DEMOTION
        if self.clause and opens_with_definition(passage.text):
            lost += DEMOTION
        return lost


#: What to look for: a text, several phrasings of one need, or a ``Need``.
Query = str | Sequence[str] | Need


def phrasings(query: Query) -> tuple[str, ...]:
    """The query's phrasings, each stripped (an ``InputError`` when none has any text)."""
    query = query.phrasings if isinstance(query, Need) else query
    texts = (query,) if isinstance(query, str) else tuple(query)
    if any(not isinstance(t, str) for t in texts):
        raise InputError("a query is a text or a list of texts", fix='e.g. "liability cap" or ["cap", "limit"]')
    kept = tuple(t.strip() for t in texts if t.strip())
    if not kept:
        raise InputError("a query has no text", fix="ask with words")
    return kept


class SearchMode(StrEnum):
    """How passages are ranked."""

    DENSE = "dense"
    LEXICAL = "lexical"
    HYBRID = "hybrid"


class Searcher:
    """Searches one store with one embedder (loaded only if the mode needs it)."""

    def __init__(
        self,
        store: QdrantStore,
        embedder: Embedder | None = None,
        mode: SearchMode = SearchMode.HYBRID,
        encoder: Bm25Encoder | None = None,
        lexical_weight: float = LEXICAL_WEIGHT,
    ) -> None:
        if mode is not SearchMode.LEXICAL and embedder is None:
            raise ConfigError(f"{mode.value} search needs an embedder", fix="pass embedder=, or use lexical search")
        self.store, self.embedder, self.mode = store, embedder, mode
        self.encoder = encoder or Bm25Encoder()
        self.lexical_weight = lexical_weight

    async def search(
        self,
        collection: str,
        query: Query,
        k: int = 10,
        where: Mapping[str, str | int] | None = None,
        max_sensitivity: Sensitivity | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query`` (a text, or several phrasings of one need)."""
        return (await self.search_many(collection, [(query, k, where)], max_sensitivity))[0]

    async def search_many(
        self,
        collection: str,
        requests: Sequence[tuple[Query, int, Mapping[str, str | int] | None]],
        max_sensitivity: Sensitivity | None = None,
    ) -> list[list[Hit]]:
        """Several ``(query, k, where)`` searches; all their phrasings are embedded in one batch."""
        texts = [phrasings(query) for query, _, _ in requests]
        await self.store.require(collection)  # a missing collection fails before a model loads
        vectors: Sequence[Sequence[float] | None] = [None] * len(requests)
        if self.mode is not SearchMode.LEXICAL and self.embedder is not None and requests:
            vectors = _centroids(await self.embedder.embed([t for group in texts for t in group]), texts)
        results = []
        for (query, k, where), group, vector in zip(requests, texts, vectors, strict=True):
            lexical = self.encoder.query("\n".join(group)) if self.mode is not SearchMode.DENSE else None
            if lexical is not None and not lexical.indices:  # "???": no word to match
                if vector is None:
                    raise InputError("a query has no words or numbers to search for", fix="ask with words")
                lexical = None
            results.append(
                await self.store.search(
                    collection,
                    vector,
                    k=k,
                    where=where,
                    max_sensitivity=max_sensitivity,
                    lexical=lexical,
                    lexical_weight=self.lexical_weight,
                    demotion=query.demotion if isinstance(query, Need) and (query.cues or query.clause) else None,
                )
            )
        return results


def _centroids(vectors: Sequence[Sequence[float]], groups: Sequence[tuple[str, ...]]) -> list[list[float]]:
    """Per group of phrasings, the mean of their vectors, each scaled to unit length first."""
    out, at = [], 0
    for group in groups:
        units = [_unit(v) for v in vectors[at : at + len(group)]]
        at += len(group)
        out.append(units[0] if len(units) == 1 else [sum(xs) / len(units) for xs in zip(*units, strict=True)])
    return out


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
