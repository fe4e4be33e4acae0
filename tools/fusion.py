"""Weighted distribution-based score fusion: two or more rankings of one collection into one.

Each ranking's scores are put on one scale the way Qdrant's DBSF does: the mean minus three
standard deviations of that ranking's scores maps to 0, the mean plus three to 1 (a ranking of
one score, or of equal scores, maps to 0.5). Unlike Qdrant's DBSF, each ranking then counts
``weight`` times; a passage's fused score is the sum over the rankings that found it.

Scores, not ranks, carry over: a passage far ahead on BM25 stays far ahead, where reciprocal
rank fusion would give it no more than a narrow first place. On CUAD (``bench/retrieval_eval.py``)
this beat Qdrant's weighted RRF at every cut-off, on the contracts the weights were chosen on
and on the 308 they were not; see the README.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

__all__ = ["fuse"]

Key = TypeVar("Key", bound=Hashable)


def fuse(
    rankings: Sequence[Sequence[tuple[Key, float]]], weights: Sequence[float], limit: int
) -> list[tuple[Key, float]]:
    """The ``limit`` best keys of ``rankings`` (each a list of ``(key, score)``, higher better)
    by weighted fused score, best first; ties keep the order in which the keys were first seen."""
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    fused: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for key, score in zip((key for key, _ in ranking), _normalised([s for _, s in ranking]), strict=True):
            fused[key] = fused.get(key, 0.0) + weight * score
    return sorted(fused.items(), key=lambda item: -item[1])[:limit]


def _normalised(scores: list[float]) -> list[float]:
    """Qdrant's arithmetic, step for step, so that the scale is the same to the last bit: a
    variance that underflows to 0 (scores 1e-250 apart) also maps to 0.5."""
    if len(scores) < 2:
        return [0.5] * len(scores)
    mean = sum(scores) / len(scores)
    variance = sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)
    low, high = mean - 3 * variance**0.5, mean + 3 * variance**0.5
    if variance == 0 or high == low:  # high == low: a spread below the mean's precision
        return [0.5] * len(scores)
    return [(s - low) / (high - low) for s in scores]
