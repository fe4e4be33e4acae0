"""Passages at rest in the local Qdrant store: their text, headings and source names are sealed
with the data key (not in the store's files), search returns them in the clear, a source filter
still matches, and a collection stored in the clear or with another key is refused with the fix."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from at_rest import modes
from cryptography.fernet import Fernet

from hybridgraph.errors import ConfigError, InputError, PrivacyError
from hybridgraph.tools.payloads import SEALED_FIELD, PlainPayloads, SealedPayloads
from hybridgraph.tools.sparse import Bm25Encoder
from hybridgraph.tools.vectorstore import Passage, QdrantStore
from hybridgraph.zones import Sensitivity

SENTENCE = "Quillon Marchetti-Vasquez keeps the harbour ledger at 17 Larkspur Wharf."
SECTION = "7. Confidential Ledger of Quillon Marchetti-Vasquez"
SOURCE = "ledger-of-quillon-marchetti-vasquez.txt"
PASSAGES = [
    Passage(text=SENTENCE, source=SOURCE, section=SECTION, start=0, end=len(SENTENCE), doc_type="contract"),
    Passage(text="The agreement is governed by Swedish law.", source="other.txt", chunk_id=1, start=80, end=121),
]
KEY = Fernet.generate_key()


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[QdrantStore]:
    store = QdrantStore(tmp_path / "qdrant", payloads=SealedPayloads(KEY))
    await store.ensure_collection("kb", 2)
    await store.upsert("kb", PASSAGES, [[1.0, 0.0], [0.0, 1.0]], [Bm25Encoder().passage(p.text) for p in PASSAGES])
    yield store
    await store.close()


def stored_bytes(folder: Path) -> bytes:
    """Every byte of every file of a local store, and every value in its SQLite tables."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    for db in (p for p in files if p.suffix == ".sqlite"):
        with closing(sqlite3.connect(db)) as conn:
            rows = conn.execute("SELECT * FROM points").fetchall()
        raw += b"".join(value if isinstance(value, bytes) else str(value).encode() for row in rows for value in row)
    return raw


async def test_text_heading_and_source_are_not_in_the_files_but_search_returns_them(local: QdrantStore) -> None:
    folder = Path(local.where)
    raw = stored_bytes(folder)
    assert b"Marchetti" not in raw and b"Larkspur" not in raw and b"ledger-of" not in raw
    assert b"governed by Swedish" not in raw
    assert b"Quillon" not in (folder / "collection" / "kb" / "storage.sqlite").read_bytes()
    lexical = await local.search("kb", None, k=1, lexical=Bm25Encoder().query("harbour ledger Larkspur"))
    assert lexical[0].passage == PASSAGES[0]
    dense = await local.search("kb", [1.0, 0.1], k=2, where={"source": SOURCE})
    assert [h.passage for h in dense] == [PASSAGES[0]]
    assert await local.count("kb", where={"source": "other.txt"}) == 1
    assert await local.count("kb", where={"doc_type": "contract"}) == 1


async def test_the_local_store_is_owner_only(local: QdrantStore) -> None:
    folder = Path(local.where)
    assert (folder / "collection" / "kb" / "storage.sqlite").exists()
    assert modes(folder) == {}
    await local.delete_collection("kb")
    assert modes(folder) == {}


async def test_text_and_headings_cannot_be_filtered_on_when_sealed(local: QdrantStore) -> None:
    with pytest.raises(InputError, match="'section' is encrypted"):
        await local.search("kb", [1.0, 0.0], where={"section": SECTION})


async def test_another_key_is_a_clear_error_not_garbage(local: QdrantStore) -> None:
    await local.close()
    other = QdrantStore(local.where, payloads=SealedPayloads(Fernet.generate_key()))
    with pytest.raises(PrivacyError, match="HYBRIDGRAPH_VAULT_KEY"):
        await other.search("kb", [1.0, 0.0], k=1)
    await other.close()


async def test_a_collection_stored_in_the_clear_is_refused_with_the_fix(tmp_path: Path) -> None:
    plain = QdrantStore(tmp_path / "qdrant", payloads=PlainPayloads())  # as an earlier version stored it
    await plain.ensure_collection("kb", 2)
    await plain.upsert("kb", PASSAGES, [[1.0, 0.0], [0.0, 1.0]])
    await plain.close()
    assert SENTENCE.encode() in stored_bytes(tmp_path / "qdrant")  # so the check above can fail
    sealed = QdrantStore(tmp_path / "qdrant", payloads=SealedPayloads(KEY))
    for attempt in (lambda: sealed.search("kb", [1.0, 0.0]), lambda: sealed.ensure_collection("kb", 2)):
        with pytest.raises(ConfigError, match=r"(?s)unencrypted.*--collection kb --replace"):
            await attempt()
    await sealed.delete_collection("kb")  # what --replace does
    await sealed.ensure_collection("kb", 2)
    await sealed.upsert("kb", PASSAGES[:1], [[1.0, 0.0]])
    assert (await sealed.search("kb", [1.0, 0.0], k=1))[0].passage == PASSAGES[0]
    await sealed.close()


def test_a_plain_store_refuses_sealed_payloads_and_keeps_plain_ones() -> None:
    fields = {**PASSAGES[0].model_dump(mode="json"), "sensitivity_rank": Sensitivity.INTERNAL.rank}
    sealed = SealedPayloads(KEY).encode(fields)
    clear = {"source", "chunk_id", "start", "end", "sensitivity", "doc_type", "tenant", "sensitivity_rank"}
    assert set(sealed) == {SEALED_FIELD, *clear}
    assert sealed["source"] != SOURCE and sealed["source"] == SealedPayloads(KEY).match("source", SOURCE)
    assert sealed["source"] != SealedPayloads(Fernet.generate_key()).match("source", SOURCE)
    assert SealedPayloads(KEY).decode(sealed) == fields
    with pytest.raises(ConfigError, match="--replace"):
        SealedPayloads(KEY).decode(fields)
    with pytest.raises(ConfigError, match="encrypted passages"):
        PlainPayloads().check("kb", sealed)
    PlainPayloads().check("kb", fields)
    assert PlainPayloads().decode(PlainPayloads().encode(fields)) == fields


def test_the_default_is_sealed_for_a_local_folder_and_plain_in_memory_and_on_a_server(tmp_path: Path) -> None:
    assert isinstance(QdrantStore(tmp_path / "q").payloads, SealedPayloads)
    assert isinstance(QdrantStore(":memory:").payloads, PlainPayloads)
    assert isinstance(QdrantStore(url="http://127.0.0.1:9").payloads, PlainPayloads)
