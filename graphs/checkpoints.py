"""Durable runs: a SQLite checkpointer under the data home, so a paused or interrupted run can
be resumed by another process (after a restart, or when a person answers a day later).

    async with sqlite_checkpointer() as saver:
        graph = cascade(task, clients, policy, checkpointer=saver)
        await graph.ainvoke(Command(resume={"approved": True}), {"configurable": {"thread_id": run_id}})

Checkpoints hold the run's state, the document included, so they are encrypted at rest with
the key of the pseudonym vaults. Resuming a run that went to the cloud also needs its vault:
give the redactor a ``VaultStore`` (encrypted files) so the real values survive the restart too.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from hybridgraph.errors import ConfigError, DependencyMissingError, PrivacyError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_file

__all__ = [
    "CHECKPOINT_URL_ENV",
    "FernetCipher",
    "encrypted_serde",
    "open_checkpointer",
    "postgres_checkpointer",
    "sqlite_checkpointer",
]

#: A Postgres URL here makes runs checkpoint to Postgres (the ``postgres`` extra) instead of SQLite.
CHECKPOINT_URL_ENV = "HYBRIDGRAPH_CHECKPOINT_URL"


class FernetCipher:
    """LangGraph's ``CipherProtocol`` over Fernet, with the key that encrypts the run vaults."""

    NAME = "fernet"

    def __init__(self, key: bytes | None = None) -> None:
        from cryptography.fernet import Fernet

        from hybridgraph.tools.pii.vault_store import checked_key, data_key

        self._fernet = Fernet(checked_key(key) if key else data_key())

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """Encrypt a serialised checkpoint value."""
        return self.NAME, self._fernet.encrypt(plaintext)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        """Decrypt one; a wrong key is a clear error."""
        from cryptography.fernet import InvalidToken

        from hybridgraph.tools.pii.vault_store import KEY_ENV

        if ciphername != self.NAME:
            raise PrivacyError(
                f"a checkpoint is encrypted with '{ciphername}', not Fernet", fix="resume it where it ran"
            )
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken:
            raise PrivacyError(
                "a checkpoint cannot be decrypted with this key",
                fix=f"set {KEY_ENV} to the key the run was started with",
            ) from None


def encrypted_serde(key: bytes | None = None) -> Any:
    """LangGraph's ``EncryptedSerializer`` with a ``FernetCipher``: checkpoints (which hold the
    document) are encrypted at rest. Only LangGraph's safe types and the run state's own enums
    are rebuilt from a checkpoint (LangGraph's msgpack allowlist), never an arbitrary class."""
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return EncryptedSerializer(FernetCipher(key), JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))


#: The classes a run state holds besides plain data (enum members), as (module, name).
STATE_TYPES = [
    ("hybridgraph.zones", "Sensitivity"),
    ("hybridgraph.zones", "TrustZone"),
    ("hybridgraph.state", "NodeName"),
    ("hybridgraph.policies.spec", "Action"),
    ("hybridgraph.policies.spec", "Verdict"),
]


@asynccontextmanager
async def sqlite_checkpointer(path: Path | None = None, key: bytes | None = None) -> AsyncIterator[Any]:
    """An ``AsyncSqliteSaver`` on ``path`` (default: ``<HYBRIDGRAPH_HOME>/checkpoints/runs.sqlite``),
    its values encrypted with the data key (``HYBRIDGRAPH_VAULT_KEY`` or the 0600 key file). The
    database is created 0600 in a 0700 folder (SQLite gives its WAL files the same mode)."""
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    file = path or DataHome.from_env().ensure("checkpoints") / "runs.sqlite"
    try:
        private_file(file)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the checkpoint database {file} ({exc.strerror})",
            fix="point HYBRIDGRAPH_HOME at a writable folder, or pass another path",
        ) from None
    async with aiosqlite.connect(str(file)) as conn:
        yield AsyncSqliteSaver(conn, serde=encrypted_serde(key))


@asynccontextmanager
async def open_checkpointer(path: Path | None = None, key: bytes | None = None) -> AsyncIterator[Any]:
    """The run checkpointer: Postgres when ``HYBRIDGRAPH_CHECKPOINT_URL`` is set, else SQLite."""
    url = os.environ.get(CHECKPOINT_URL_ENV)
    if url:
        async with postgres_checkpointer(url, key) as saver:
            yield saver
    else:
        async with sqlite_checkpointer(path, key) as saver:
            yield saver


@asynccontextmanager
async def postgres_checkpointer(url: str, key: bytes | None = None) -> AsyncIterator[Any]:
    """An ``AsyncPostgresSaver`` on ``url`` (tables created on first use), values encrypted."""
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:
        raise DependencyMissingError(
            f"{CHECKPOINT_URL_ENV} names a Postgres database, but langgraph-checkpoint-postgres is not installed",
            fix="pip install 'hybridgraph[postgres]', or unset it to checkpoint to SQLite",
        ) from None
    async with AsyncExitStack() as stack:
        try:
            saver = await stack.enter_async_context(
                AsyncPostgresSaver.from_conn_string(url, serde=encrypted_serde(key))
            )
            await saver.setup()
        except Exception as exc:  # noqa: BLE001 - psycopg's errors: refused, auth, permissions
            raise _unreachable(exc) from None
        yield saver


def _unreachable(exc: BaseException) -> ConfigError:
    return ConfigError(
        f"the checkpoint database in {CHECKPOINT_URL_ENV} cannot be used ({type(exc).__name__})",
        fix="check the URL, that the server runs and that the user may create tables",
    )
