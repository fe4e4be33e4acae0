"""Durable runs: a SQLite checkpointer under the data home, so a paused or interrupted run can
be resumed by another process (after a restart, or when a person answers a day later).

    async with sqlite_checkpointer() as saver:
        graph = cascade(task, clients, policy, checkpointer=saver)
        await graph.ainvoke(Command(resume={"approved": True}), {"configurable": {"thread_id": run_id}})

Resuming a run that went to the cloud also needs its pseudonym vault: give the redactor a
``VaultStore`` (encrypted files) so the real values survive the restart too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hybridgraph.errors import ConfigError
from hybridgraph.home import DataHome

__all__ = ["sqlite_checkpointer"]


@asynccontextmanager
async def sqlite_checkpointer(path: Path | None = None) -> AsyncIterator[Any]:
    """An ``AsyncSqliteSaver`` on ``path`` (default: ``<HYBRIDGRAPH_HOME>/checkpoints/runs.sqlite``)."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    file = path or DataHome.from_env().ensure("checkpoints") / "runs.sqlite"
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the checkpoint folder {file.parent} ({exc.strerror})",
            fix="point HYBRIDGRAPH_HOME at a writable folder, or pass another path",
        ) from None
    async with AsyncSqliteSaver.from_conn_string(str(file)) as saver:
        yield saver
