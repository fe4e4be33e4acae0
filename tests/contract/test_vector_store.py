"""One contract suite for the vector store: in memory, in a local folder, and on a Qdrant server
when ``QDRANT_URL`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hybridgraph.errors import ConfigError, EndpointUnreachableError
from hybridgraph.tools.sparse import Bm25Encoder
from hybridgraph.tools.vectorstore import Passage, QdrantStore
from hybridgraph.zones import Sensitivity

BACKENDS = ["memory", "path", pytest.param("server", marks=pytest.mark.integration)]


def _unit(i: int, dim: int = 8) -> list[float]:
    return [1.0 if j == i % dim else 0.0 for j in range(dim)]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QdrantStore]:
    if request.param == "memory":
        made = QdrantStore(":memory:")
    elif request.param == "path":
        made = QdrantStore(tmp_path / "qdrant")
    else:
        url = os.environ.get("QDRANT_URL")
        if not url:
            pytest.skip("set QDRANT_URL to run the suite against a Qdrant server")
        made = QdrantStore(url=url, api_key=os.environ.get("QDRANT_API_KEY"))
    yield made
    await made.close()


PASSAGES = [
    Passage(
        text=f"clause {i}",
        source=f"doc{i % 2}.txt",
        chunk_id=i,
        start=i * 10,
        end=i * 10 + 8,
        sensitivity=[Sensitivity.PUBLIC, Sensitivity.CONFIDENTIAL, Sensitivity.RESTRICTED][i % 3],
    )
    for i in range(6)
]


async def _filled(store: QdrantStore) -> str:
    name = f"t{uuid.uuid4().hex[:8]}"
    await store.ensure_collection(name, 8)
    await store.upsert(name, PASSAGES, [_unit(i) for i in range(6)])
    return name


async def test_nearest_first_with_scores_and_payload(store: QdrantStore) -> None:
    name = await _filled(store)
    hits = await store.search(name, _unit(3), k=3)
    assert hits[0].passage == PASSAGES[3] and hits[0].score == pytest.approx(1.0)
    assert hits[0].score >= hits[1].score >= hits[2].score


async def test_upserts_are_idempotent(store: QdrantStore) -> None:
    name = await _filled(store)
    await store.upsert(name, PASSAGES, [_unit(i) for i in range(6)])
    assert await store.count(name) == 6


async def test_filters_by_field_and_by_sensitivity(store: QdrantStore) -> None:
    name = await _filled(store)
    assert {h.passage.source for h in await store.search(name, _unit(0), k=6, where={"source": "doc1.txt"})} == {
        "doc1.txt"
    }
    allowed = await store.search(name, _unit(2), k=6, max_sensitivity=Sensitivity.CONFIDENTIAL)
    assert len(allowed) == 4 and all(h.passage.sensitivity <= Sensitivity.CONFIDENTIAL for h in allowed)
    assert await store.count(name, where={"source": "doc0.txt"}) == 3


WORDS = [
    "The supplier's aggregate liability shall not exceed the fees paid in the prior twelve months.",
    "This agreement is governed by the laws of the State of New York.",
    "Neither party may assign this agreement without the prior written consent of the other party.",
    "The customer may audit the supplier's books and records upon reasonable notice.",
    "Either party may terminate this agreement for convenience on ninety days' written notice.",
    "The agreement renews automatically for successive one-year terms.",
]


async def _worded(store: QdrantStore) -> str:
    """Six passages with their words as BM25 vectors; dense vectors that point elsewhere."""
    name = f"w{uuid.uuid4().hex[:8]}"
    encoder = Bm25Encoder()
    passages = [p.model_copy(update={"text": text}) for p, text in zip(PASSAGES, WORDS, strict=True)]
    await store.ensure_collection(name, 8)
    await store.upsert(name, passages, [_unit(i + 1) for i in range(6)], [encoder.passage(t) for t in WORDS])
    return name


async def test_lexical_search_ranks_by_bm25(store: QdrantStore) -> None:
    name = await _worded(store)
    query = Bm25Encoder().query("assignment of the agreement requires consent")  # words: consent is rare
    hits = await store.search(name, None, k=3, lexical=query)
    assert hits[0].passage.text == WORDS[2]
    assert all(h.score > 0 for h in hits) and hits[0].score > hits[-1].score
    filtered = await store.search(name, None, k=6, lexical=query, where={"source": "doc1.txt"})
    assert filtered and all(h.passage.source == "doc1.txt" for h in filtered)


async def test_hybrid_search_fuses_both_rankings(store: QdrantStore) -> None:
    name = await _worded(store)
    words = Bm25Encoder().query("governed New York")  # words only passage 1 has
    # Dense: passage 4 (vector 5) scores 1, the other five 0, which the fusion maps to 0.840 and
    # 0.432 (mean -/+ 3 sd to 0..1). Lexical: passage 1 alone, 0.5 (one score), times the weight.
    hits = await store.search(name, _unit(5), k=2, lexical=words)
    assert [h.passage.text for h in hits] == [WORDS[1], WORDS[4]]
    assert [h.score for h in hits] == pytest.approx([0.432 + 0.5, 0.840], abs=1e-3)
    dense_led = await store.search(name, _unit(5), k=2, lexical=words, lexical_weight=0.1)
    assert [h.passage.text for h in dense_led] == [WORDS[4], WORDS[1]]
    safe = await store.search(name, _unit(5), k=6, lexical=words, max_sensitivity=Sensitivity.PUBLIC)
    assert safe and all(h.passage.sensitivity == Sensitivity.PUBLIC for h in safe)


async def test_a_missing_collection_names_the_ingest_command(store: QdrantStore) -> None:
    with pytest.raises(ConfigError, match="hybridgraph ingest"):
        await store.search("no-such-collection", _unit(0))


async def test_a_different_dimension_is_refused(store: QdrantStore) -> None:
    name = await _filled(store)
    with pytest.raises(ConfigError, match="8-dimensional"):
        await store.ensure_collection(name, 384)


async def test_an_unreachable_server_names_qdrant_url() -> None:
    store = QdrantStore(url="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(EndpointUnreachableError, match="QDRANT_URL"):
        await store.collections()
    await store.close()


def test_a_path_store_keeps_its_passages_across_clients(tmp_path: Path) -> None:
    import asyncio

    async def write_then_read() -> int:
        first = QdrantStore(tmp_path / "q")
        await first.ensure_collection("kb", 8)
        await first.upsert("kb", PASSAGES, [_unit(i) for i in range(6)])
        await first.close()
        second = QdrantStore(tmp_path / "q")
        try:
            return await second.count("kb")
        finally:
            await second.close()

    assert asyncio.run(write_then_read()) == 6


async def test_a_collection_without_named_vectors_is_refused_with_a_way_out(store: QdrantStore) -> None:
    from qdrant_client import models

    name = f"old{uuid.uuid4().hex[:8]}"
    await store._client.create_collection(name, vectors_config=models.VectorParams(size=8, distance="Cosine"))
    with pytest.raises(ConfigError, match="hybridgraph ingest"):
        await store.ensure_collection(name, 8)
    with pytest.raises(ConfigError, match="hybridgraph ingest"):
        await store.search(name, _unit(0))


async def test_a_collection_with_stemmed_bm25_is_refused_before_a_search(store: QdrantStore) -> None:
    """A collection an earlier version made holds stemmed BM25 under ``bm25``: words would not
    match its terms, so it is refused with the way out, at ingest and at search."""
    from qdrant_client import models

    name = f"stem{uuid.uuid4().hex[:8]}"
    await store._client.create_collection(
        name,
        vectors_config={"dense": models.VectorParams(size=8, distance=models.Distance.COSINE)},
        sparse_vectors_config={"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    for attempt in (store.ensure_collection(name, 8), store.search(name, None, k=3, lexical=Bm25Encoder().query("x"))):
        with pytest.raises(ConfigError, match=f"(?s)older hybridgraph.*--collection {name} --replace"):
            await attempt
