"""``Searcher`` over an in-memory store: a query of several phrasings searches with their centroid
(dense) and their joined words (BM25). The embedder is a lookup table: this tests the logic."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pytest

from hybridgraph.errors import InputError
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.retrieval import DEMOTION, Need, Searcher, SearchMode, phrasings
from hybridgraph.tools.sparse import Bm25Encoder
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
    await store.upsert("kb", passages, VECTORS, [Bm25Encoder().passage(t) for t in TEXTS])
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


async def test_a_need_ranks_the_passages_without_its_cues_lower() -> None:
    dense, _ = await _searcher()
    plain = [h.passage.text for h in await dense.search("kb", "cap", k=4)]
    assert plain[0] == "the liability cap"
    cued = [h.passage.text for h in await dense.search("kb", Need(("cap",), re.compile("limit")), k=4)]
    # one ranking: the passages that say "limit" first, each group in its own order
    assert cued == [t for t in plain if "limit" in t] + [t for t in plain if "limit" not in t]
    hybrid = Searcher(dense.store, Table(), SearchMode.HYBRID)
    fused = {h.passage.text: h.score for h in await hybrid.search("kb", "cap", k=4)}
    need = Need(("cap",), re.compile("both"))
    demoted = {h.passage.text: h.score for h in await hybrid.search("kb", need, k=4)}
    # fused scores: each passage without the cue loses DEMOTION, the one with it keeps its score
    assert demoted["both a cap and a limit"] == pytest.approx(fused["both a cap and a limit"])
    for text in set(fused) - {"both a cap and a limit"}:
        assert demoted[text] == pytest.approx(fused[text] - DEMOTION)
    assert next(iter(demoted)) == "both a cap and a limit"
    await dense.store.close()


def test_a_clause_need_ranks_a_passage_that_opens_with_definitions_lower() -> None:
    def passage(text: str) -> Passage:
        return Passage(text=text, source="c.txt", chunk_id=0, start=0, end=len(text))

    need = Need(("change of control",), re.compile("control", re.IGNORECASE), clause=True)
    definition = '1.19 "Change of Control" means the sale of all or substantially all of its assets.'
    heading = "1. DEFINITIONS. Affiliate: an entity that controls a party."
    operative = "14.2 Either party may terminate this Agreement upon a change of control of the other."
    late = "14.3 Termination. " + "x " * 100 + '"Control" means ownership.'  # after the opening
    assert [need.demotion(passage(t)) for t in (definition, heading, operative, late)] == [DEMOTION, DEMOTION, 0, 0]
    assert need.demotion(passage("No word of it here.")) == DEMOTION  # no cue
    assert need.demotion(passage('1.1 "Term" means one year.')) == 2 * DEMOTION  # both
    assert Need(("change of control",)).demotion(passage(definition)) == 0  # a plain need keeps definitions


def test_a_clause_category_is_a_need_with_its_phrasings_and_cues() -> None:
    from hybridgraph.tools.knowledge import clause_categories

    shipped = {c.name: c for c in clause_categories()}
    need = Need.category(" termination for convenience ")
    assert need.phrasings == shipped["Termination for Convenience"].phrasings
    assert need.cues is not None and need.cues.search("may terminate for convenience")
    assert Need.category("Audit Rights").cues is None  # a category without cues
    assert need.clause and Need.category("Governing Law").clause
    assert phrasings(need) == need.phrasings
    with pytest.raises(InputError) as caught:
        Need.category("Governing Lw")
    assert "did you mean 'Governing Law'" in str(caught.value.fix) and "Audit Rights" in str(caught.value.fix)


def test_search_on_the_command_line_takes_a_category_with_or_without_its_own_query() -> None:
    from hybridgraph.cli.knowledge import _need

    own = _need(["right to audit"], "Audit Rights")
    assert isinstance(own, Need) and own.phrasings == ("right to audit",) and own.clause
    assert _need([], "audit rights") == Need.category("Audit Rights")
    assert _need(["right to audit"], "") == ["right to audit"]  # no category: the query as it was


async def test_the_retriever_agent_searches_with_a_need_in_the_state() -> None:
    from hybridgraph.agents.retriever import RetrieverAgent

    searcher, _ = await _searcher()
    agent = RetrieverAgent(searcher.store, Table(), "kb", k=4, mode=SearchMode.DENSE)
    need = Need(("cap",), re.compile("limit"))
    texts = [p["text"] for p in (await agent({"query": need}))["passages"]]  # type: ignore[typeddict-item]
    assert texts == ["both a cap and a limit", "the limit of liability", "the liability cap", "governing law"]
    plain = [p["text"] for p in (await agent({"query": "cap"}))["passages"]]
    assert plain[0] == "the liability cap"  # the same search without the cue
    await searcher.store.close()
