"""Graph builders: the cascade, parallel and split patterns, each with a policy node before
every model step. Import as ``hybridgraph.graphs``.
"""

from __future__ import annotations

from hybridgraph.graphs.cascade import cascade
from hybridgraph.graphs.checkpoints import sqlite_checkpointer
from hybridgraph.graphs.economics import Budget, economics
from hybridgraph.graphs.parallel import parallel
from hybridgraph.graphs.split import split

__all__ = ["Budget", "cascade", "economics", "parallel", "split", "sqlite_checkpointer"]
