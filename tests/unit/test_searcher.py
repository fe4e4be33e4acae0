"""``Searcher`` over an in-memory store: a query of several phrasings searches with their centroid
(dense) and their joined words (BM25). The embedder is a lookup table: this tests the logic."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from hybridgraph.errors import InputError
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.retrieval import Searcher, SearchMode, phrasings
from hybridgraph.tools.vectorstore import Passage, QdrantStore

DIRECTIONS = {"cap": [1.0, 0.0, 0.0], "limit": [0.0, 2.0, 0.0]}  # "limit" is not unit length on purpose
TEXTS = ["the liability cap", "the limit of liability", "both a cap and a limit", "governing law"]
VECTORS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.1], [0.0, 0.0, 1.0]]


class Table(Embedder):
    """Known vectors for known texts; records every batch it is asked for."""

    dim = 3

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return [DIRECTIONS[t] for t in texts]


async def _searcher(mode: SearchMode = SearchMode.DENSE) -> tuple[Searcher, Table]:
    store = QdrantStore(":memory:")
    await store.ensure_collection("kb", 3)
    passages = [
        Passage(text=t, source="kb.md", chunk_id=i, start=i * 40, end=i * 40 + len(t)) for i, t in enumerate(TEXTS)
    ]
    await store.upsert("kb", passages, VECTORS)
    table = Table()
    return Searcher(store, table, mode), table


async def test_one_phrasing_is_a_plain_query_and_several_search_by_their_centroid() -> None:
    searcher, _ = await _searcher()
    assert next(h.passage.text for h in await searcher.search("kb", "cap", k=2)) == "the liability cap"
    assert [h.passage.text for h in await searcher.search("kb", ["limit"], k=1)] == ["the limit of liability"]
    both = await searcher.search("kb", ["cap", "limit"], k=4)
    assert both[0].passage.text == "both a cap and a limit"
    # the centroid of the unit vectors is (0.5, 0.5, 0): cosine 1/sqrt(2) with each single direction
    single = {h.passage.text: h.score for h in both}
    assert (
        single["the liability cap"]
        == pytest.approx(single["the limit of liability"])
        == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    )
    await searcher.store.close()


async def test_all_phrasings_of_all_requests_are_embedded_in_one_batch() -> None:
    searcher, table = await _searcher()
    results = await searcher.search_many("kb", [(["cap", "limit"], 1, None), ("limit", 1, None)])
    assert table.batches == [["cap", "limit", "limit"]]
    assert [r[0].passage.text for r in results] == ["both a cap and a limit", "the limit of liability"]
    await searcher.store.close()


async def test_lexical_search_scores_the_phrasings_as_one_text() -> None:
    searcher, _ = await _searcher(SearchMode.LEXICAL)
    joined = await searcher.search("kb", "liability cap\ngoverning law", k=4)
    split = await searcher.search("kb", ["liability cap", "governing law"], k=4)
    assert [(h.passage.text, round(h.score, 6)) for h in split] == [(h.passage.text, round(h.score, 6)) for h in joined]
    await searcher.store.close()


def test_phrasings_are_stripped_and_a_query_without_text_is_an_input_error() -> None:
    assert phrasings(" cap ") == ("cap",)
    assert phrasings(["cap", "  ", "limit\n"]) == ("cap", "limit")
    for bad in ("", ["", " "], [], ["cap", 3]):
        with pytest.raises(InputError) as caught:
            phrasings(bad)  # type: ignore[arg-type]
        assert caught.value.fix
