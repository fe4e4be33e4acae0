"""Checks of state at rest shared by tests: every folder 0700 and every file 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def modes(root: Path) -> dict[str, str]:
    """Each entry under ``root`` (``root`` included, as ``.``) whose mode is not owner-only,
    with its mode in octal; empty when all is 0700 (folders) and 0600 (files)."""
    loose: dict[str, str] = {}
    for folder, _, files in os.walk(root):
        for path, wanted in [(Path(folder), 0o700)] + [(Path(folder, name), 0o600) for name in files]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode != wanted:
                loose[str(path.relative_to(root))] = oct(mode)
    return loose


def count(root: Path) -> tuple[int, int]:
    """How many folders and files there are under ``root`` (``root`` included)."""
    folders = files = 0
    for _, _, names in os.walk(root):
        folders, files = folders + 1, files + len(names)
    return folders, files
