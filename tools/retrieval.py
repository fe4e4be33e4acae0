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
0.930 / 0.956; these scores fused, 0.851 / 0.961 / 0.980 and 0.811 / 0.943 / 0.966. See the
README for the full table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.sparse import Bm25Encoder
from hybridgraph.tools.vectorstore import Hit, QdrantStore
from hybridgraph.zones import Sensitivity

__all__ = ["LEXICAL_WEIGHT", "SearchMode", "Searcher"]

#: In hybrid search, how much more the BM25 scores count than the dense ones in the fusion.
LEXICAL_WEIGHT = 3.0


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
        query: str,
        k: int = 10,
        where: Mapping[str, str | int] | None = None,
        max_sensitivity: Sensitivity | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``."""
        return (await self.search_many(collection, [(query, k, where)], max_sensitivity))[0]

    async def search_many(
        self,
        collection: str,
        requests: Sequence[tuple[str, int, Mapping[str, str | int] | None]],
        max_sensitivity: Sensitivity | None = None,
    ) -> list[list[Hit]]:
        """Several ``(query, k, where)`` searches; the queries are embedded in one batch."""
        await self.store.require(collection)  # a missing collection fails before a model loads
        vectors: Sequence[Sequence[float] | None] = [None] * len(requests)
        if self.mode is not SearchMode.LEXICAL and self.embedder is not None and requests:
            vectors = await self.embedder.embed([query for query, _, _ in requests])
        results = []
        for (query, k, where), vector in zip(requests, vectors, strict=True):
            lexical = self.encoder.query(query) if self.mode is not SearchMode.DENSE else None
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
                )
            )
        return results
