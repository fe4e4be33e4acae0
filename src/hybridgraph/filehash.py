"""The SHA-256 of a file's bytes, computed once per path, size and modification time: model
files (a model's identity in the audit log) and input documents (``run --skip-done``)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of ``path``'s bytes (``OSError`` when it cannot be read)."""
    stat = path.stat()
    return _file_sha256(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
