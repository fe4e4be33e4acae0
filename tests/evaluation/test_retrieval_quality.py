"""Category search on CUAD (skipped without ../shared/data or the embedded extra): the measure of
``bench/retrieval_eval.py``, hybrid mode, on the first 40 contracts. A category's ``Need`` (its
phrasings, cues and the demotion of definitions) must rank the labelled clause first more often
than its phrasings alone, and hold recall@1 and @3; a change that loses either fails CI."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from bench.pii_eval import DEFAULT_DATA
from bench.retrieval_eval import PHRASINGS, Tally, load_cases

pytestmark = pytest.mark.evaluation

CONTRACTS = 40


# Ingesting 40 contracts took 3 min 54 s on a quiet VM; sealed payloads and the rule recognizers add to it.
@pytest.mark.timeout(900)
def test_a_category_need_ranks_the_labelled_clause_first_more_often_than_its_phrasings() -> None:
    from hybridgraph.tools.embeddings import SentenceTransformerEmbedder, local_model_installed
    from hybridgraph.tools.ingest import Ingestor
    from hybridgraph.tools.retrieval import Need, Searcher
    from hybridgraph.tools.vectorstore import QdrantStore

    cases = load_cases(DEFAULT_DATA, CONTRACTS)
    if not cases or not local_model_installed():
        pytest.skip(f"needs CUAD at {DEFAULT_DATA / 'cuad'} and the embedded extra")

    async def measure() -> Tally:
        store, embedder = QdrantStore(":memory:"), SentenceTransformerEmbedder()
        await Ingestor(store, embedder).ingest([c.path for c in cases], "cuad", doc_type="contract")
        searcher, tally = Searcher(store, embedder), Tally()
        for case in cases:
            for category, phrasings in PHRASINGS.items():
                if spans := case.labels.get(category):
                    where = {"source": str(case.path)}
                    for method, query in (("plain", phrasings), ("need", Need.category(category))):
                        hits = await searcher.search("cuad", query, k=5, where=where)  # as the bench
                        tally.add(method, category, [(h.passage.start, h.passage.end) for h in hits], spans)
        await store.close()
        return tally

    tally = asyncio.run(measure())
    recall = {m: {k: statistics.mean(r[k].values()) for k in (1, 3)} for m, r in tally.recall().items()}
    first = {m: sum(tally.hits[m][1].values()) for m in ("plain", "need")}
    # measured: phrasings alone 0.870 / 0.944, the needs 0.893 / 0.944 (@1 / @3, mean over the
    # categories); the floors leave room for a hit or two in the smallest categories
    assert first["need"] > first["plain"], (first, recall)
    assert recall["need"][1] >= 0.86 and recall["need"][3] >= 0.92, recall
