"""The local embedder: the real all-MiniLM-L6-v2 from its PyPI package, offline."""

from __future__ import annotations

import math

import pytest

from hybridgraph.tools.embeddings import SentenceTransformerEmbedder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(batch_size=4)


async def test_vectors_are_normalised_and_batched_like_single_calls(embedder: SentenceTransformerEmbedder) -> None:
    texts = [f"Clause {i}: the supplier delivers within {i} days." for i in range(9)]
    batch = await embedder.embed(texts)
    assert len(batch) == 9 and all(len(v) == embedder.dim == 384 for v in batch)
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-4) for v in batch)
    single = await embedder.embed_one(texts[5])
    assert math.fsum(a * b for a, b in zip(single, batch[5], strict=True)) == pytest.approx(1.0, abs=1e-4)


async def test_related_text_is_closer(embedder: SentenceTransformerEmbedder) -> None:
    query, cap, law = await embedder.embed(
        [
            "limitation of liability cap",
            "The aggregate liability of either party shall not exceed the fees paid in the prior twelve months.",
            "This Agreement is governed by the laws of the State of Delaware.",
        ]
    )

    def dot(a: list[float], b: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(a, b, strict=True))

    assert dot(query, cap) > dot(query, law) + 0.1
    assert await embedder.embed([]) == []
