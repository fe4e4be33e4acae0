"""The ``hybridgraph`` command line. Heavy libraries are imported inside commands, so ``--help`` is fast."""

from __future__ import annotations

from hybridgraph.cli.main import main

__all__ = ["main"]
