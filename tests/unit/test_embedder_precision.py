"""How ``SentenceTransformerEmbedder`` picks its precision (logic only; the real model is in
tests/integration/test_embeddings.py)."""

from __future__ import annotations

from typing import Any

import pytest

from hybridgraph.tools import embeddings


class _Module:
    """A first module from a sentence-transformers before 6.0: no ``processing_kwargs``."""


class _Model(list[Any]):
    def __init__(self) -> None:
        super().__init__([_Module()])
        self.dtype: object = "float32"

    def to(self, dtype: object) -> _Model:
        self.dtype = dtype
        return self


@pytest.fixture
def old_model(monkeypatch: pytest.MonkeyPatch) -> _Model:
    model = _Model()
    monkeypatch.setattr(embeddings, "_load_sentence_transformer", lambda: model)
    monkeypatch.setattr(embeddings, "native_bfloat16", lambda: True)
    return model


def test_auto_stays_float32_where_batches_cannot_be_bucketed(old_model: _Model) -> None:
    embedder = embeddings.SentenceTransformerEmbedder()
    assert embedder.precision == "bfloat16"  # chosen for this CPU ...
    assert embedder.model is old_model and old_model.dtype == "float32"
    assert embedder.precision == "float32"  # ... and given up: unbucketed shapes grow oneDNN's caches


def test_an_explicit_bfloat16_is_kept(old_model: _Model) -> None:
    torch = pytest.importorskip("torch")
    embedder = embeddings.SentenceTransformerEmbedder(precision="bfloat16")
    assert embedder.model.dtype is torch.bfloat16 and embedder.precision == "bfloat16"
