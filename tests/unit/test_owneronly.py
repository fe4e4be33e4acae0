"""Owner-only files and folders: made so, tightened when found looser, and kept so by SQLite
(journal, WAL and shared-memory files). The umask is the usual 022, so nothing is private by luck."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from at_rest import modes

from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_dir, private_file, private_tree, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_folder_and_its_missing_parents_are_made_0700_and_an_existing_one_is_tightened(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b" / "c")
    assert [mode(p) for p in (made, made.parent, made.parent.parent)] == [0o700] * 3
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    private_dir(loose)
    assert mode(loose) == 0o700
    tmp_path.chmod(0o755)
    private_dir(tmp_path / "x" / "y")
    assert mode(tmp_path) == 0o755  # an existing parent is not ours to change


def test_a_file_is_made_0600_before_use_and_an_existing_one_is_tightened(tmp_path: Path) -> None:
    made = private_file(tmp_path / "new" / "db.sqlite")
    assert mode(made) == 0o600 and mode(made.parent) == 0o700 and made.read_bytes() == b""
    old = tmp_path / "old.sqlite"
    old.write_bytes(b"kept")
    assert mode(old) == 0o644
    private_file(old)
    assert mode(old) == 0o600 and old.read_bytes() == b"kept"


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_sqlite_gives_its_side_files_the_database_files_mode(tmp_path: Path, journal: str) -> None:
    path = private_file(tmp_path / "runs.sqlite")
    seen: dict[str, int] = {}
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
        db.execute("CREATE TABLE t (x TEXT)")
        db.execute("BEGIN")
        db.execute("INSERT INTO t VALUES ('a secret sentence')")
        seen = {p.name: mode(p) for p in tmp_path.iterdir()}  # the journal or WAL exists mid-transaction
        db.execute("COMMIT")
    side = {name for name in seen if name != "runs.sqlite"}
    assert side == ({"runs.sqlite-wal", "runs.sqlite-shm"} if journal == "WAL" else {"runs.sqlite-journal"})
    assert set(seen.values()) == {0o600}


def test_a_tree_a_library_wrote_is_tightened_but_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours to change")
    store = tmp_path / "store"
    (store / "collection" / "kb").mkdir(parents=True)
    (store / "collection" / "kb" / "storage.sqlite").write_text("text")
    (store / "meta.json").write_text("{}")
    (store / "link").symlink_to(outside)
    private_tree(store)
    assert modes(store) == {"link": "0o777"}  # a link's own mode, untouched
    assert mode(outside) == 0o644


def test_an_atomic_write_is_0600_from_the_start_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    path.write_text("old")
    write_private(path, b"new")
    assert path.read_bytes() == b"new" and mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]


def test_the_data_home_is_owner_only_from_its_root_to_each_sub_folder(tmp_path: Path) -> None:
    home = DataHome(tmp_path / "home")
    home.ensure("qdrant/deep")
    assert modes(home.root) == {}
    home.root.chmod(0o755)
    (home.root / "traces").mkdir(mode=0o755)
    home.ensure("traces")
    assert modes(home.root) == {}
