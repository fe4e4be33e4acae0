"""The index of durable runs: which runs exist, what they run on, and where each one stands.

LangGraph's checkpointer keeps each run's state (encrypted); this index keeps what a person
needs to find and continue a run: its id, pipeline, input name (never its content), how to
rebuild its graph (the recipe), the process running it, and its state. A run whose process died
while ``running`` shows as ``interrupted``: ``hybridgraph resume`` finishes it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hybridgraph.errors import ConfigError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_file

__all__ = ["RunIndex", "RunRecord", "RunState"]


class RunState(StrEnum):
    """Where a run stands."""

    RUNNING = "running"
    INTERRUPTED = "interrupted"  # its process died mid-run; resume finishes it
    WAITING = "waiting_for_approval"
    QUEUED = "queued"  # an escalation waits for the cloud to be reachable
    DONE = "done"
    FAILED = "failed"


class RunRecord(BaseModel):
    """One run in the index."""

    run_id: str
    pipeline: str
    input: str
    recipe: dict[str, Any]
    state: RunState
    pid: int
    started: float
    updated: float
    detail: str = ""

    def effective(self) -> RunRecord:
        """The record with a dead process's ``running`` shown as ``interrupted``."""
        if self.state is RunState.RUNNING and not _alive(self.pid):
            return self.model_copy(update={"state": RunState.INTERRUPTED, "detail": "its process ended mid-run"})
        return self


_SCHEMA = """CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT, input TEXT, recipe TEXT, state TEXT,
    pid INTEGER, started REAL, updated REAL, detail TEXT)"""


class RunIndex:
    """The run index: one SQLite file beside the checkpoints, owner-only (0600 in a 0700 folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DataHome.from_env().ensure("checkpoints") / "runs-index.sqlite"

    def start(self, run_id: str, pipeline: str, input_name: str, recipe: dict[str, Any]) -> RunRecord:
        """Record a run that starts now in this process."""
        now = time.time()
        record = RunRecord(
            run_id=run_id,
            pipeline=pipeline,
            input=input_name,
            recipe=recipe,
            state=RunState.RUNNING,
            pid=os.getpid(),
            started=now,
            updated=now,
        )
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, pipeline, input_name, json.dumps(recipe), record.state.value, record.pid, now, now, ""),
            )
        return record

    def update(self, run_id: str, state: RunState, detail: str = "") -> None:
        """Set a run's state (and this process as the one working on it)."""
        with self._db() as db:
            db.execute(
                "UPDATE runs SET state = ?, detail = ?, updated = ?, pid = ? WHERE run_id = ?",
                (state.value, detail, time.time(), os.getpid(), run_id),
            )

    def claim(self, record: RunRecord) -> None:
        """Mark ``record``'s run as running in this process, unless another process changed it since
        ``record`` was read (two ``resume`` or ``approve`` calls at once): then a clear error."""
        with self._db() as db:
            claimed = db.execute(
                "UPDATE runs SET state = ?, pid = ?, updated = ? WHERE run_id = ? AND pid = ? AND updated = ?",
                (RunState.RUNNING.value, os.getpid(), time.time(), record.run_id, record.pid, record.updated),
            ).rowcount
        if not claimed:
            raise ConfigError(
                f"run {record.run_id} was taken up by another process just now",
                fix="see where it stands with: hybridgraph runs",
            )

    def get(self, run_id: str) -> RunRecord:
        """One run; a clear error naming ``hybridgraph runs`` if there is none."""
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise ConfigError(
                f"there is no run '{run_id[:64]}' in {self.path}", fix="list the runs with: hybridgraph runs"
            )
        return _record(row).effective()

    def list(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [_record(row).effective() for row in rows]

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            private_file(self.path)
            with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
                db.execute(_SCHEMA)
                yield db
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(
                f"the run index {self.path} cannot be used ({type(exc).__name__})",
                fix="check that HYBRIDGRAPH_HOME is writable and the file is not damaged",
            ) from None


def _record(row: tuple[Any, ...]) -> RunRecord:
    run_id, pipeline, input_name, recipe, state, pid, started, updated, detail = row
    return RunRecord(
        run_id=run_id,
        pipeline=pipeline,
        input=input_name,
        recipe=json.loads(recipe),
        state=RunState(state),
        pid=pid,
        started=started,
        updated=updated,
        detail=detail or "",
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
