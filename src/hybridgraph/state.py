"""The typed state that flows through a hybridgraph run, and the names of its nodes.

Fields are filled in by the agents as the run goes. ``document`` is the raw input and stays
on this machine; what may leave is ``redacted`` (and what agents derive from it). Real values
live in the run's vault, never in the state.
"""

from __future__ import annotations

import operator
from enum import StrEnum
from typing import Annotated, TypedDict

from hybridgraph.zones import Sensitivity

__all__ = ["ChunkLevel", "NodeName", "RetrievedPassage", "RunState"]


class NodeName(StrEnum):
    """Node names of the shipped agents."""

    REDACT = "redact"
    RETRIEVE = "retrieve"
    RESTORE = "restore"


class ChunkLevel(TypedDict):
    """The sensitivity of ``document[start:end]`` and why (entity types and keywords, no values)."""

    start: int
    end: int
    sensitivity: Sensitivity
    reasons: list[str]


class RetrievedPassage(TypedDict):
    """A passage the retriever found: its text, where it is from, and how close it is."""

    text: str
    source: str
    start: int
    end: int
    section: str
    sensitivity: Sensitivity
    score: float


class RunState(TypedDict, total=False):
    """What a run knows. Warnings from every node accumulate."""

    run_id: str
    document: str
    redacted: str
    sensitivity: Sensitivity
    sensitivity_reasons: list[str]
    chunks: list[ChunkLevel]
    entity_counts: dict[str, int]
    query: str
    passages: list[RetrievedPassage]
    answer: str
    restored: str
    unrestored: list[str]
    warnings: Annotated[list[str], operator.add]
