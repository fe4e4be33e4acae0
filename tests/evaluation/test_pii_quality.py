"""The detector's quality targets, on the labelled data in ../shared/data (skipped without it).

Same measures as ``bench/pii_eval.py`` and ``bench/redaction.py`` (which also time stock Presidio);
these assert the targets so a change that loses recall fails CI.
"""

from __future__ import annotations

import pytest

from bench.pii_eval import DEFAULT_DATA, evaluate, hybridgraph_detector, load_records
from bench.redaction import covered, load_contracts, party_mentions
from hybridgraph.tools.pii.detector import shared_detector

pytestmark = pytest.mark.evaluation

TARGETS = {
    "PERSON": 0.90,
    "ADDRESS": 0.85,
    "ORGANIZATION": 0.85,
    "EMAIL_ADDRESS": 0.98,
    "PHONE_NUMBER": 0.98,
    "CREDIT_CARD": 0.98,
    "IBAN_CODE": 0.98,
    "US_SSN": 0.98,
    "IP_ADDRESS": 0.98,
}


def test_recall_and_precision_on_labelled_records() -> None:
    records = load_records(DEFAULT_DATA, None)
    if records is None:
        pytest.skip(f"no labelled PII data at {DEFAULT_DATA / 'pii'}")
    result = evaluate(records, hybridgraph_detector())
    below = {k: round(result["recall"][k], 3) for k, goal in TARGETS.items() if result["recall"][k] < goal}
    assert not below, f"recall below target: {below}"
    assert result["precision"] >= 0.85


def test_contract_party_names_are_redacted_everywhere() -> None:
    contracts = load_contracts(DEFAULT_DATA, 12)
    if not contracts:
        pytest.skip(f"no CUAD contracts at {DEFAULT_DATA / 'cuad'}")
    hits = total = 0
    for text, names in contracts:
        found = [(f.start, f.end) for f in shared_detector().detect(text)]
        mentions = party_mentions(text, names)
        total += len(mentions)
        hits += sum(covered(m, found) for m in mentions)
    assert total > 500 and hits / total >= 0.98, f"{hits}/{total}"
