"""Weighted score fusion: Qdrant's DBSF scale, then weights."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from qdrant_client import models
from qdrant_client.hybrid.fusion import distribution_based_score_fusion

from hybridgraph.tools.fusion import fuse

scores = st.floats(min_value=-100, max_value=100, allow_nan=False)
ranking = st.lists(st.tuples(st.integers(0, 30), scores), max_size=12, unique_by=lambda item: item[0])


@given(st.lists(ranking, min_size=1, max_size=3))
@example(rankings=[[(0, 0.0), (1, 2.0443319102951737e-250)]])  # the variance underflows: both give 0.5
def test_equal_weights_score_as_qdrants_dbsf(rankings: list[list[tuple[int, float]]]) -> None:
    ours = dict(fuse(rankings, [1.0] * len(rankings), limit=100))
    points = [[models.ScoredPoint(id=key, version=0, score=score) for key, score in r] for r in rankings]
    try:
        theirs = {p.id: p.score for p in distribution_based_score_fusion(points, limit=100)}
    except ZeroDivisionError:  # a spread below the mean's precision: Qdrant divides by 0, ours says 0.5
        assume(False)
    assert ours.keys() == theirs.keys()
    assert all(ours[key] == pytest.approx(theirs[key], abs=1e-9) for key in ours)


def test_weights_scale_each_ranking() -> None:
    dense = [("a", 0.9), ("b", 0.5), ("c", 0.1)]
    lexical = [("c", 12.0), ("b", 3.0), ("a", 2.0)]
    # On the 0..1 scale: dense a 0.667, b 0.5, c 0.333; lexical c 0.692, b 0.419, a 0.389.
    assert [key for key, _ in fuse([dense, lexical], [1.0, 1.0], limit=3)] == ["a", "c", "b"]
    assert [key for key, _ in fuse([dense, lexical], [1.0, 3.0], limit=3)] == ["c", "a", "b"]
    assert len(fuse([dense, lexical], [1.0, 1.0], limit=2)) == 2


def test_single_and_equal_scores_sit_in_the_middle() -> None:
    assert fuse([[("a", 7.0)]], [2.0], limit=5) == [("a", 1.0)]
    assert fuse([[("a", 1.0), ("b", 1.0)]], [1.0], limit=5) == [("a", 0.5), ("b", 0.5)]
    assert fuse([[]], [1.0], limit=5) == []


def test_rankings_and_weights_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        fuse([[("a", 1.0)], [("b", 1.0)]], [1.0], limit=2)
