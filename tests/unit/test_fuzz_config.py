"""A sample of the config fuzzer (``python -m bench.fuzz_config`` runs 10,000): pipeline and
policy YAML, random or damaged, gives a valid configuration or a ConfigError, never a traceback."""

from __future__ import annotations

import pytest

from bench.fuzz_config import check, fuzz


def test_fuzzed_pipeline_and_policy_yaml_never_raises_a_traceback() -> None:
    outcomes, failures = fuzz(300)
    assert failures == [], failures[0]
    assert outcomes["inputs"] == 300 and outcomes["valid pipeline"] > 0 and outcomes["pipeline: ConfigError"] > 0


def test_the_checker_reports_what_is_not_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridgraph.yamlconfig as yamlconfig

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(yamlconfig, "validate_yaml_text", broken)
    failure = check("name: x")
    assert failure is not None and "KeyError" in failure
