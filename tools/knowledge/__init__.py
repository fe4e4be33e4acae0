"""Knowledge shipped with hybridgraph, ready to ingest: ``hybridgraph ingest --builtin NAME -c NAME``."""

from __future__ import annotations

from pathlib import Path

from hybridgraph.errors import InputError

__all__ = ["BUILTIN", "builtin_path"]

_HERE = Path(__file__).resolve().parent
#: Shipped documents by name.
BUILTIN: dict[str, Path] = {"procurement-checklist": _HERE / "procurement-checklist.md"}


def builtin_path(name: str) -> Path:
    """The file of a shipped document."""
    if name not in BUILTIN:
        raise InputError(f"there is no built-in document '{name}'", fix=f"use one of: {', '.join(BUILTIN)}")
    return BUILTIN[name]
