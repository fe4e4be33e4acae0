from __future__ import annotations

from pathlib import Path

import pytest

from hybridgraph.errors import ConfigError
from hybridgraph.tools.pii import Finding
from hybridgraph.tools.pii.classify import ClassificationRules, classify
from hybridgraph.zones import Sensitivity


def f(kind: str) -> Finding:
    return Finding(0, 1, kind, 0.9)


def test_highest_level_wins_and_reasons_name_types_not_values() -> None:
    result = classify("Pay Jane via IBAN.", [f("PERSON"), f("IBAN_CODE"), f("ORGANIZATION")])
    assert result.level is Sensitivity.RESTRICTED
    assert "IBAN_CODE → restricted" in result.reasons and "PERSON → confidential" in result.reasons
    assert not any("Jane" in r for r in result.reasons)


def test_keywords_raise_the_level_as_whole_words() -> None:
    assert classify("This memo is STRICTLY CONFIDENTIAL.", []).level is Sensitivity.RESTRICTED
    assert classify("Confidential: pricing", []).level is Sensitivity.CONFIDENTIAL
    assert classify("Nonconfidentiality is not a word here", []).level is Sensitivity.INTERNAL


def test_default_and_custom_rules(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("default: public\nkeywords:\n  project bluefin: restricted\nentity_levels: {}\n")
    rules = ClassificationRules.from_file(rules_file)
    assert classify("the weather is fine", [f("PERSON")], rules).level is Sensitivity.PUBLIC
    assert classify("About Project Bluefin", [], rules).level is Sensitivity.RESTRICTED


def test_bad_rules_file_points_at_the_line(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("default: public\nkeywords:\n  secret: topsecret\n")
    with pytest.raises(ConfigError) as info:
        ClassificationRules.from_file(rules_file)
    assert info.value.line == 3
