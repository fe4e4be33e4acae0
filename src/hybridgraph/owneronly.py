"""Owner-only files and folders for state that holds document text or what is derived from it.

Everything hybridgraph keeps under the data home (the Qdrant store, checkpoints, the run index,
traces, vaults) is readable by its owner only: folders 0700, files 0600. The modes are set where
the files are made, not through the process umask (which every thread shares):

- ``private_dir`` creates a folder, and any missing parents, 0700 and tightens an existing one;
- ``private_file`` creates an empty file 0600 (in a 0700 folder) before a library opens it. SQLite keeps the mode of
  an existing database and gives its ``-journal``, ``-wal`` and ``-shm`` files the database
  file's mode, so a database created this way stays owner-only;
- ``private_tree`` tightens what a library wrote with its own modes (qdrant-client's local store);
- ``write_private`` replaces a file atomically with one that is 0600 from its first byte.

Only entries this user owns are changed, and nothing is done where POSIX modes do not exist.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "private_tree", "write_private"]

DIR_MODE = 0o700
FILE_MODE = 0o600
_POSIX = hasattr(os, "getuid")


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700; an existing ``path`` this user owns is made
    0700 (its existing parents are left as they are). ``OSError`` if it cannot be created."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist, else make it 0600 if this user
    owns it; its folder is made as ``private_dir`` makes one. ``OSError`` if it cannot be created."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


def private_tree(root: Path) -> None:
    """Make every folder under ``root`` (``root`` included) 0700 and every file 0600, where this
    user owns them. Symbolic links are neither followed nor changed."""
    if not root.is_dir() or root.is_symlink():
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _tighten(Path(folder, name), DIR_MODE)
        for name in files:
            _tighten(Path(folder, name), FILE_MODE)


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a 0600 temporary file beside it, then replace ``path``
    atomically: no reader sees a partial file, and no moment exists where it is more open."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        _tighten(temporary, FILE_MODE)  # an existing temporary keeps its mode through O_CREAT
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if this user owns it and its mode differs (a link: untouched)."""
    if not _POSIX:
        return
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) == mode:
        return
    path.chmod(mode)
