"""Vaults persisted between the steps of a run (or across a restart), encrypted at rest.

Each run's vault is one file ``<home>/vault/<run id>.vault``, encrypted with Fernet (AES-128-CBC
and an HMAC-SHA256, from ``cryptography``). The key comes from ``HYBRIDGRAPH_VAULT_KEY`` or, if
that is unset, from ``<home>/vault/key``, which is created on first use, readable by its owner
only. Losing the key makes old vaults unreadable; that is the point.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from hybridgraph.errors import ConfigError, PrivacyError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_dir, write_private
from hybridgraph.tools.pii.vault import Vault

__all__ = ["KEY_ENV", "VaultStore", "checked_key", "data_key"]

KEY_ENV = "HYBRIDGRAPH_VAULT_KEY"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,127}")


class VaultStore:
    """Saves and loads run vaults as encrypted files in one directory."""

    def __init__(self, directory: Path | None = None, key: bytes | None = None) -> None:
        self.directory = directory or DataHome.from_env().ensure("vault")
        try:
            private_dir(self.directory)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the vault folder {self.directory} ({exc.strerror})",
                fix="pass a writable folder, or point HYBRIDGRAPH_HOME at one",
            ) from None
        self._fernet = Fernet(checked_key(key) if key else data_key(self.directory))

    def save(self, run_id: str, vault: Vault) -> Path:
        """Encrypt and write ``vault``; the file (0600) is replaced atomically."""
        return write_private(self._path(run_id), self._fernet.encrypt(vault.to_json().encode("utf-8")))

    def load(self, run_id: str) -> Vault:
        """The run's vault; an empty one if none was saved yet."""
        path = self._path(run_id)
        if not path.exists():
            return Vault()
        try:
            return Vault.from_json(self._fernet.decrypt(path.read_bytes()).decode("utf-8"))
        except InvalidToken:
            raise PrivacyError(
                f"the vault of run {run_id} cannot be decrypted with this key",
                fix=f"set {KEY_ENV} to the key the run was started with, or start the run again",
            ) from None

    def delete(self, run_id: str) -> None:
        """Forget a run's real values."""
        self._path(run_id).unlink(missing_ok=True)

    def _path(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id):
            raise ConfigError(
                f"'{run_id[:40]}' is not a valid run id", fix="use letters, digits, '.', '_' and '-' only"
            )
        return self.directory / f"{run_id}.vault"


def data_key(directory: Path | None = None) -> bytes:
    """The Fernet key that encrypts run data at rest (vaults and checkpoints): ``HYBRIDGRAPH_VAULT_KEY``,
    else the key file in ``directory`` (default: the vault folder), created with 0600 permissions."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return checked_key(configured.encode("ascii"))
    directory = directory or DataHome.from_env().ensure("vault")
    path = directory / "key"
    if not path.exists():
        _create_key(path)
    return checked_key(path.read_bytes().strip())


def _create_key(path: Path) -> None:
    """Write a new key to ``path`` whole or not at all: threads and processes that race on first
    use (two audit appends, say) all end up reading the one key that was linked first."""
    partial = path.with_name(f"{path.name}.{secrets.token_hex(8)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key())
    try:
        with contextlib.suppress(FileExistsError):  # another writer was first: its key stands
            os.link(partial, path)
    finally:
        partial.unlink()


def checked_key(key: bytes) -> bytes:
    """``key`` if it is a valid Fernet key, else a ``ConfigError`` that says how to make one."""
    try:
        Fernet(key)
        return key
    except ValueError:
        raise ConfigError(
            "the vault key is not a valid Fernet key",
            fix=f"set {KEY_ENV} to the output of: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
        ) from None
