"""The knowledge store: passages and their vectors in Qdrant.

``QdrantStore`` uses the official ``qdrant-client``. By default it runs Qdrant's embedded local
mode in a folder of the data home (no server). ``QDRANT_URL`` (and ``QDRANT_API_KEY``) select a
Qdrant server instead; the code path is otherwise the same. ``":memory:"`` is for tests.

At rest, the local store is owner-only: its folder and every file qdrant-client writes in it are
0700 and 0600, and the passages' text, section headings and source names are encrypted with the
vault key (``hybridgraph.tools.payloads.SealedPayloads``); search returns them decrypted. The
payloads of a Qdrant server stay in the clear by default (``PlainPayloads``): the server is a
system its operator secures (disk, TLS, ``QDRANT_API_KEY``), every host that shares it would need
the same key, and its collections stay readable by other tools; pass
``payloads=SealedPayloads()`` to encrypt there too. A local collection an earlier hybridgraph
stored in the clear is refused with the fix (ingest again with ``--replace``).

Point ids are derived from a passage's source, offsets and text, so ingesting the same document
again overwrites its points instead of adding copies. Each point has two named vectors: a dense
embedding (``dense``) and BM25 weights of its words (``bm25-words``, sparse, with Qdrant's IDF
modifier), so a search can be semantic, lexical or both fused (see ``search``). Collections an
earlier hybridgraph made hold stemmed BM25 weights under ``bm25`` instead; they are reported
with the fix (ingest again) rather than searched with terms that would not match.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.errors import ConfigError, EndpointUnreachableError, InputError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_dir, private_tree
from hybridgraph.tools.fusion import fuse
from hybridgraph.tools.payloads import PayloadCodec, PlainPayloads, SealedPayloads
from hybridgraph.tools.sparse import SparseVector
from hybridgraph.zones import Sensitivity

__all__ = ["DENSE", "PREFETCH_FACTOR", "SPARSE", "URL_ENV", "Hit", "Passage", "QdrantStore", "passage_id"]

URL_ENV = "QDRANT_URL"
#: The named vectors of a collection: dense embeddings, and BM25 weights of words (sparse;
#: ``bm25`` held stemmed words, see ``hybridgraph.tools.sparse``).
DENSE = "dense"
SPARSE = "bm25-words"
#: In a hybrid search each side ranks this many times ``k`` candidates before fusion (the
#: spread of their scores sets each side's scale, see ``hybridgraph.tools.fusion``).
PREFETCH_FACTOR = 8
KEY_ENV = "QDRANT_API_KEY"
_ID_NAMESPACE = uuid.UUID("5f0c3f52-5d1c-4d59-9a0a-3f6e2f6b9c11")
#: Payload fields that get an index on a Qdrant server (local mode filters without one).
_INDEXED = ("source", "doc_type", "tenant", "sensitivity_rank")


class Passage(BaseModel):
    """A piece of a document as stored: its text, where it came from, and how sensitive it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    source: str = Field(description="file name or URI of the document")
    chunk_id: int = 0
    start: int = 0
    end: int = 0
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    doc_type: str = "document"
    tenant: str = "default"
    section: str = ""

    @property
    def id(self) -> str:
        """The point id: stable for the same source, offsets and text."""
        return passage_id(self.source, self.start, self.end, self.text)


class Hit(BaseModel):
    """A search result."""

    passage: Passage
    score: float


def passage_id(source: str, start: int, end: int, text: str) -> str:
    """A UUID derived from the passage's identity, so re-ingestion overwrites instead of duplicating."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return str(uuid.uuid5(_ID_NAMESPACE, f"{source}\x00{start}\x00{end}\x00{digest}"))


class QdrantStore:
    """Collections of passages in Qdrant: local folder (default), ``:memory:``, or a server.

    ``payloads`` says how passages are kept in the points' payloads: by default sealed
    (``SealedPayloads``) in a local folder, in the clear (``PlainPayloads``) in memory and on a server.
    """

    def __init__(
        self,
        location: str | Path | None = None,
        *,
        url: str | None = None,
        api_key: str | None = None,
        payloads: PayloadCodec | None = None,
    ):
        self.url = url
        self._folder: Path | None = None  # a local store's folder, kept owner-only
        if url:
            self.where = url
            self._options: dict[str, Any] = {"url": url, "api_key": api_key, "check_compatibility": False}
        elif str(location) == ":memory:":
            self.where = ":memory:"
            self._options = {"location": ":memory:"}
        else:
            self._folder = Path(location) if location else DataHome.from_env().ensure("qdrant")
            self.where = str(self._folder)
            self._options = {"path": str(self._folder)}
        self.payloads = payloads or (SealedPayloads() if self._folder else PlainPayloads())
        self._current: dict[str, int] = {}  # collections checked to be this version's: their dense size

    @functools.cached_property
    def _client(self) -> Any:
        """The client, opened on first use (a local folder is locked from then until ``close``)."""
        from qdrant_client import AsyncQdrantClient

        try:
            if self._folder is not None:
                private_dir(self._folder)
            client = AsyncQdrantClient(**self._options)
            self._private()
            return client
        except RuntimeError as exc:
            if "already accessed" not in str(exc):
                raise
            raise EndpointUnreachableError(
                f"the local Qdrant folder {self.where} is in use by another process",
                fix=f"wait for the other hybridgraph process to end, or set {URL_ENV} to a Qdrant server "
                "that many processes can share",
            ) from None

    @classmethod
    def from_env(cls) -> QdrantStore:
        """A server if ``QDRANT_URL`` is set, else the local folder under the data home."""
        url = os.environ.get(URL_ENV)
        return cls(url=url, api_key=os.environ.get(KEY_ENV)) if url else cls()

    async def ensure_collection(self, name: str, dim: int) -> None:
        """Create the collection (cosine distance, ``dim`` dimensions) if it does not exist."""
        from qdrant_client import models

        if await self._call(self._client.collection_exists(name)):
            size = await self._checked(name)
            if size != dim:
                raise ConfigError(
                    f"collection '{name}' holds {size}-dimensional vectors, but the embedder makes {dim}",
                    fix="ingest into a new collection, or use the embedder the collection was built with",
                )
            return
        await self._call(
            self._client.create_collection(
                name,
                vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            )
        )
        self._private()
        if self.url:
            for field in _INDEXED:
                schema = (
                    models.PayloadSchemaType.INTEGER if field.endswith("_rank") else models.PayloadSchemaType.KEYWORD
                )
                await self._call(self._client.create_payload_index(name, field_name=field, field_schema=schema))

    async def upsert(
        self,
        name: str,
        passages: Sequence[Passage],
        vectors: Sequence[Sequence[float]],
        lexical: Sequence[SparseVector] | None = None,
    ) -> None:
        """Write passages with their dense vectors and, for hybrid search, their BM25 vectors
        (``Bm25Encoder.passage``); a passage already stored is overwritten."""
        from qdrant_client import models

        if len(passages) != len(vectors) or (lexical is not None and len(lexical) != len(passages)):
            raise InputError(f"{len(passages)} passages but {len(vectors)} vectors", fix="embed every passage once")
        sparse = lexical if lexical is not None else [None] * len(passages)
        points = [
            models.PointStruct(id=p.id, vector=_vectors(v, w), payload=self._payload(p))
            for p, v, w in zip(passages, vectors, sparse, strict=True)
        ]
        if points:
            await self._call(self._client.upsert(name, points=points))

    async def search(
        self,
        name: str,
        vector: Sequence[float] | None,
        k: int = 10,
        where: Mapping[str, str | int] | None = None,
        max_sensitivity: Sensitivity | None = None,
        lexical: SparseVector | None = None,
        lexical_weight: float = 1.0,
        demotion: Callable[[Passage], float] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages that match ``where`` (payload field = value) and are no more
        sensitive than ``max_sensitivity``.

        With ``vector`` only: the closest by cosine. With ``lexical`` only (``Bm25Encoder.query``):
        the best by BM25. With both: each ranks ``PREFETCH_FACTOR * k`` candidates (one batch
        request) and their scores are fused (``hybridgraph.tools.fusion``), the lexical side's
        counting ``lexical_weight`` times; the score is then the fused score.

        With ``demotion`` (what a passage loses for being less likely what was asked for, 0 for
        nothing), every mode ranks ``PREFETCH_FACTOR * k`` candidates: in hybrid search each
        loses that much of its fused score; with one ranking, whose scores have no common scale,
        they rank by what they lose, least first, and then by score, and keep their scores (so a
        demoted passage may score higher than one ranked above it).
        """
        from qdrant_client import models

        if vector is None and lexical is None:
            raise InputError("a search needs a dense vector, a BM25 vector or both", fix="pass vector= or lexical=")
        await self.require(name)
        query_filter = self._query_filter(where, max_sensitivity)
        sources: list[tuple[Any, str]] = []
        if vector is not None:
            sources.append((list(vector), DENSE))
        if lexical is not None:
            sources.append((_sparse(lexical), SPARSE))
        limit = k if len(sources) == 1 and demotion is None else k * PREFETCH_FACTOR
        requests = [
            models.QueryRequest(query=query, using=using, limit=limit, filter=query_filter, with_payload=True)
            for query, using in sources
        ]
        responses = await self._call(self._client.query_batch_points(name, requests=requests))
        payloads = {point.id: point.payload for response in responses for point in response.points}
        passage = functools.cache(lambda key: self._passage(payloads[key]))  # each payload decoded once
        rankings = [[(point.id, float(point.score)) for point in response.points] for response in responses]
        if len(rankings) == 1:
            ranked = rankings[0]
            if demotion is not None:
                lost = {key: demotion(passage(key)) for key, _ in ranked}
                ranked = sorted(ranked, key=lambda item: lost[item[0]])  # stable: by score within
        else:
            ranked = fuse(rankings, [1.0, lexical_weight], limit=len(payloads))
            if demotion is not None:
                ranked = [(key, score - demotion(passage(key))) for key, score in ranked]
                ranked.sort(key=lambda item: -item[1])
        return [Hit(passage=passage(key), score=score) for key, score in ranked[:k]]

    async def count(self, name: str, where: Mapping[str, str | int] | None = None) -> int:
        """How many passages the collection holds (matching ``where``)."""
        await self.require(name)
        result = await self._call(self._client.count(name, count_filter=self._query_filter(where, None), exact=True))
        return int(result.count)

    async def collections(self) -> list[str]:
        """The names of all collections."""
        response = await self._call(self._client.get_collections())
        return sorted(c.name for c in response.collections)

    async def delete_collection(self, name: str) -> None:
        """Remove a collection and its passages."""
        await self._call(self._client.delete_collection(name))
        self._current.pop(name, None)
        self._private()

    async def close(self) -> None:
        """Release the client (and the local folder's lock)."""
        if "_client" in self.__dict__:
            await self._client.close()

    async def require(self, name: str) -> None:
        """A clear error, naming ``hybridgraph ingest``, if the collection does not exist or an
        earlier version made it (checked once per collection)."""
        if not await self._call(self._client.collection_exists(name)):
            raise ConfigError(
                f"there is no collection '{name}' in {self.where}",
                fix=f"create it with: hybridgraph ingest PATH... --collection {name}",
            )
        await self._checked(name)

    async def _checked(self, name: str) -> int:
        """The size of an existing collection's dense vectors, once it is known to be this
        version's: named dense and BM25 vectors, and payloads kept as ``payloads`` keeps them."""
        if name not in self._current:
            size = _vector_size(await self._call(self._client.get_collection(name)))
            if size is None:
                raise _older_collection(name)
            sample, _ = await self._call(self._client.scroll(name, limit=1, with_payload=True, with_vectors=False))
            for point in sample:
                self.payloads.check(name, point.payload or {})
            self._current[name] = size
        return self._current[name]

    def _payload(self, passage: Passage) -> dict[str, Any]:
        fields = {**passage.model_dump(mode="json"), "sensitivity_rank": passage.sensitivity.rank}
        return self.payloads.encode(fields)

    def _passage(self, payload: Mapping[str, Any] | None) -> Passage:
        data = self.payloads.decode(payload or {})
        data.pop("sensitivity_rank", None)
        return Passage.model_validate(data)

    def _query_filter(self, where: Mapping[str, str | int] | None, max_sensitivity: Sensitivity | None) -> Any:
        return _filter({key: self.payloads.match(key, value) for key, value in (where or {}).items()}, max_sensitivity)

    def _private(self) -> None:
        """Make the local folder and what qdrant-client wrote in it owner-only."""
        if self._folder is not None:
            private_tree(self._folder)

    async def _call(self, awaitable: Any) -> Any:
        """Await a client call; a server that cannot be reached becomes a clear error."""
        try:
            return await awaitable
        except Exception as exc:
            if self.url and _is_connection_error(exc):
                raise EndpointUnreachableError(
                    f"the Qdrant server at {self.url} cannot be reached",
                    fix=f"start it, or correct {URL_ENV} (unset it to use the local store with no server)",
                ) from None
            raise


def _filter(where: Mapping[str, str | int] | None, max_sensitivity: Sensitivity | None) -> Any:
    from qdrant_client import models

    must: list[Any] = [
        models.FieldCondition(key=key, match=models.MatchValue(value=value)) for key, value in (where or {}).items()
    ]
    if max_sensitivity is not None:
        must.append(models.FieldCondition(key="sensitivity_rank", range=models.Range(lte=max_sensitivity.rank)))
    return models.Filter(must=must) if must else None


def _vectors(dense: Sequence[float], lexical: SparseVector | None) -> dict[str, Any]:
    named: dict[str, Any] = {DENSE: list(dense)}
    if lexical is not None:
        named[SPARSE] = _sparse(lexical)
    return named


def _sparse(lexical: SparseVector) -> Any:
    from qdrant_client import models

    return models.SparseVector(indices=lexical.indices, values=lexical.values)


def _vector_size(info: Any) -> int | None:
    """The dense vectors' size; None for a collection without this version's named dense and
    sparse vectors (one an older hybridgraph made)."""
    vectors, sparse = info.config.params.vectors, info.config.params.sparse_vectors
    params = vectors.get(DENSE) if isinstance(vectors, dict) else None
    return getattr(params, "size", None) if sparse and SPARSE in sparse else None


def _older_collection(name: str) -> ConfigError:
    return ConfigError(
        f"collection '{name}' was made by an older hybridgraph (its vectors are not named "
        f"'{DENSE}' and '{SPARSE}': BM25 over words replaced stemmed BM25)",
        fix=f"ingest its documents again: hybridgraph ingest PATH... --collection {name} --replace "
        f"(or into a new collection, --collection {name}-v2)",
    )


def _is_connection_error(exc: Exception) -> bool:
    import httpx

    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    return isinstance(exc, httpx.TransportError | ConnectionError) or bool(
        names & {"ResponseHandlingException", "ConnectError", "ConnectTimeout", "RpcError"}
    )
