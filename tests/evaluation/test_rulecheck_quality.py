"""The checklist's rule checks against the values CUAD's lawyers wrote down (skipped without
../shared/data). Same measure as ``bench/rulechecks_eval.py``; a change to the patterns that
loses precision or recall fails CI."""

from __future__ import annotations

import pytest

from bench.pii_eval import DEFAULT_DATA
from bench.rulechecks_eval import CHECKED, load, naive, score
from hybridgraph.tools.checklist import load_checklist

pytestmark = pytest.mark.evaluation

#: rule -> (least precision, least recall) of its breaches
TARGETS = {"R-09": (0.90, 0.90), "R-10": (0.95, 0.85), "R-15": (0.98, 0.95)}


@pytest.mark.parametrize("rule", list(TARGETS))
def test_a_checks_breaches_match_the_lawyers_values(rule: str) -> None:
    if not (DEFAULT_DATA / "cuad" / "master_clauses.csv").is_file():
        pytest.skip(f"no CUAD data at {DEFAULT_DATA / 'cuad'}")
    checklist = load_checklist("builtin:procurement-checklist")
    check = next(c for r in checklist.rules for c in r.checks if c.rule == rule)
    cases = load(DEFAULT_DATA, *CHECKED[rule])
    shipped, baseline = score(check, cases, check.values), score(check, cases, naive(check))
    least_precision, least_recall = TARGETS[rule]
    assert shipped.cases >= 70 and shipped.breaches >= 20  # the data is there
    assert shipped.precision >= least_precision and shipped.recall >= least_recall
    assert shipped.right > baseline.right  # reading a value's role beats taking the first one
