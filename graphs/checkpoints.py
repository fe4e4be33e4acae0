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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hybridgraph.errors import ConfigError, PrivacyError
from hybridgraph.home import DataHome

__all__ = ["FernetCipher", "encrypted_serde", "sqlite_checkpointer"]


class FernetCipher:
    """LangGraph's ``CipherProtocol`` over Fernet, with the key that encrypts the run vaults."""

    NAME = "fernet"

    def __init__(self, key: bytes | None = None) -> None:
        from cryptography.fernet import Fernet

        from hybridgraph.tools.pii.vault_store import data_key

        self._fernet = Fernet(key or data_key())

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
    document) are encrypted at rest."""
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    return EncryptedSerializer(FernetCipher(key))


@asynccontextmanager
async def sqlite_checkpointer(path: Path | None = None, key: bytes | None = None) -> AsyncIterator[Any]:
    """An ``AsyncSqliteSaver`` on ``path`` (default: ``<HYBRIDGRAPH_HOME>/checkpoints/runs.sqlite``),
    its values encrypted with the data key (``HYBRIDGRAPH_VAULT_KEY`` or the 0600 key file)."""
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    file = path or DataHome.from_env().ensure("checkpoints") / "runs.sqlite"
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the checkpoint folder {file.parent} ({exc.strerror})",
            fix="point HYBRIDGRAPH_HOME at a writable folder, or pass another path",
        ) from None
    async with aiosqlite.connect(str(file)) as conn:
        yield AsyncSqliteSaver(conn, serde=encrypted_serde(key))
