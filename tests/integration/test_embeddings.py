"""The local embedder: the real all-MiniLM-L6-v2 from its PyPI package, offline."""

from __future__ import annotations

import math

import pytest

from hybridgraph.errors import ConfigError
from hybridgraph.tools.embeddings import SentenceTransformerEmbedder, native_bfloat16

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


def test_bfloat16_vectors_match_float32_and_bad_precision_is_named() -> None:
    texts = [
        "Either party may terminate this Agreement for convenience upon ninety (90) days' written notice.",
        "This Agreement shall be governed by the laws of the State of New York.",
        "short",
    ]
    full = SentenceTransformerEmbedder(precision="float32").embed_sync(texts)
    bfloat16 = SentenceTransformerEmbedder(precision="bfloat16")
    half = bfloat16.embed_sync(texts)
    # batches padded to a few lengths, so oneDNN does not keep a kernel per shape (memory grew)
    assert bfloat16.model[0].processing_kwargs["text"]["pad_to_multiple_of"] == 64
    for a, b in zip(full, half, strict=True):
        assert math.fsum(x * x for x in b) == pytest.approx(1.0, abs=1e-6)  # normalised in float64
        assert math.fsum(x * y for x, y in zip(a, b, strict=True)) > 0.99
    assert SentenceTransformerEmbedder().precision == ("bfloat16" if native_bfloat16() else "float32")
    with pytest.raises(ConfigError, match="precision 'half'") as caught:
        SentenceTransformerEmbedder(precision="half")  # type: ignore[arg-type]
    assert "bfloat16" in (caught.value.fix or "")
