"""The one data directory that holds every piece of state hybridgraph writes.

``HYBRIDGRAPH_HOME`` chooses it; otherwise it is the platform's user data directory
(``~/.local/share/hybridgraph`` on Linux). Sub-folders are created on first use.

The data home holds document text and what is derived from it, so it is owner-only: ``ensure``
creates its folders 0700 and tightens existing ones this user owns, and each store makes its
files 0600 (see ``hybridgraph.owneronly``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hybridgraph.errors import ConfigError
from hybridgraph.owneronly import private_dir

__all__ = ["HOME_ENV", "DataHome"]

HOME_ENV = "HYBRIDGRAPH_HOME"


@dataclass(frozen=True)
class DataHome:
    """Paths of the state hybridgraph keeps: Qdrant, traces, audit log, checkpoints, vault."""

    root: Path

    @classmethod
    def from_env(cls) -> DataHome:
        """The data home named by ``HYBRIDGRAPH_HOME``, or the platform default."""
        configured = os.environ.get(HOME_ENV)
        if configured:
            return cls(Path(configured).expanduser())
        from platformdirs import user_data_path

        return cls(user_data_path("hybridgraph", appauthor=False))

    def ensure(self, sub: str = "") -> Path:
        """Create (if needed) and return ``root/sub``, the root and every folder from it to ``sub``
        owner-only (0700, existing ones this user owns tightened); a clear error if it cannot be written."""
        path = self.root / sub if sub else self.root
        try:
            private_dir(self.root)
            for folder in reversed(path.relative_to(self.root).parents[:-1]):
                private_dir(self.root / folder)
            private_dir(path)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the data directory {path} ({exc.strerror})",
                fix=f"point {HOME_ENV} at a writable folder",
            ) from None
        return path

    @property
    def qdrant(self) -> Path:
        """Embedded Qdrant storage."""
        return self.root / "qdrant"

    @property
    def traces(self) -> Path:
        """Local JSON trace files, one per run."""
        return self.root / "traces"

    @property
    def audit(self) -> Path:
        """The append-only audit log."""
        return self.root / "audit"

    @property
    def checkpoints(self) -> Path:
        """LangGraph checkpoints (SQLite)."""
        return self.root / "checkpoints"

    @property
    def vault(self) -> Path:
        """Encrypted pseudonym vaults."""
        return self.root / "vault"

    @property
    def catalog_file(self) -> Path:
        """A user catalog that extends the shipped one, if present."""
        return self.root / "catalog.yaml"
