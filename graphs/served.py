"""The shipped pipelines as graphs for LangGraph's own server (``langgraph.json`` names them).

    langgraph dev --config langgraph.json     # or `langgraph up` with Postgres and Redis

Each graph takes ``{"document": TEXT, "source": NAME}`` and ends with the run's state, whose
``report`` is the review (real values restored: it stays inside your network). The server
brings its own checkpointer, so runs, threads and streaming are the server's.
"""

from __future__ import annotations

from typing import Any

from hybridgraph.graphs.pipeline import Pipeline

__all__ = ["contract_review", "dpa_check", "nda_check"]


def _served(name: str) -> Any:
    return Pipeline.load(name).served()


contract_review = _served("contract-review")
nda_check = _served("nda-check")
dpa_check = _served("dpa-check")
