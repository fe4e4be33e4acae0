"""Strict YAML: duplicate keys, deep nesting and alias bombs are clear ConfigErrors, in every YAML read."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from hybridgraph.cli.main import app
from hybridgraph.errors import ConfigError
from hybridgraph.policies import Policy
from hybridgraph.yamlconfig import validate_yaml_text
from hybridgraph.yamlstrict import MAX_DEPTH, parse_yaml

BALANCED = files("hybridgraph.policies").joinpath("presets", "balanced.yaml").read_text(encoding="utf-8")


def error_of(text: str, source: str = "p.yaml") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, source)
    return caught.value


def test_a_duplicate_key_names_both_lines_and_the_fix() -> None:
    error = error_of("name: x\nrules:\n  - id: a\n    action: local\n    reason: r\n    action: cloud_redacted\n")
    assert error.path == Path("p.yaml") and error.line == 6
    assert "'action' appears twice" in error.message and "first at p.yaml:4" in error.message
    assert error.fix is not None and "lines 4 and 6" in error.fix


@pytest.mark.parametrize(
    "text",
    ["a: 1\nb: 2\na: 3\n", "{a: 1, a: 2}", "1: x\n01: y\n", "top:\n  inner: {k: 1}\n  inner: {k: 2}\n"],
)
def test_duplicates_are_found_at_any_level_and_as_values(text: str) -> None:
    assert "appears twice" in error_of(text).message


def test_keys_merged_in_may_be_overridden_as_yaml_intends() -> None:
    _, data = parse_yaml("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n")
    assert data["use"] == {"x": 1, "y": 3}


def test_a_policy_with_a_second_action_fails_check() -> None:
    doubled = BALANCED.replace(
        "    action: local\n    reason: restricted data",
        "    action: local\n    action: cloud_redacted\n    reason: restricted data",
    )
    assert doubled != BALANCED
    with pytest.raises(ConfigError, match="'action' appears twice"):
        validate_yaml_text(doubled, Policy, source="policy.yaml")


def test_policy_check_exits_non_zero_on_a_duplicate_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(BALANCED.replace("name: balanced\n", "name: balanced\nname: mine\n"), encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(policy)])
    assert result.exit_code != 0 and "ok" not in result.output
    assert isinstance(result.exception, ConfigError) and f"{policy}:4" in str(result.exception)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000,
        "{a: " * 10_000,
        "".join("  " * i + "k:\n" for i in range(200)),
        "".join("  " * i + "-\n" for i in range(200)),
    ],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(text: str) -> None:
    error = error_of(text)
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message and error.line is not None


def test_nesting_up_to_the_limit_is_fine() -> None:
    _, data = parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    depth = 0
    while data:
        data, depth = data[0], depth + 1
    assert depth == MAX_DEPTH - 1  # the innermost list is empty


def test_aliases_cannot_nest_past_the_limit_or_refer_to_themselves() -> None:
    deep = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    assert "once aliases are expanded" in error_of(deep).message
    assert "refers to the collection that contains it" in error_of("a: &a [1, *a]\n").message


def test_an_alias_bomb_is_refused() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert "values once aliases are expanded" in error_of("\n".join(lines)).message


def test_syntax_errors_keep_their_position() -> None:
    error = error_of("a: [1, 2\nb: 3\n")
    assert "p.yaml:2:2: YAML syntax error" in error.message and error.line == 2


def test_a_control_character_is_located() -> None:
    error = error_of("a: 1\nb: x\x0ey\n")
    assert "control character #x000e" in error.message and (error.line, error.column) == (2, 5)


class _Model(BaseModel):
    a: int


def test_validation_errors_still_point_at_the_node() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_yaml_text("# comment\na: nope\n", _Model, source="m.yaml")
    assert caught.value.line == 2 and "m.yaml:2" in str(caught.value)


def test_every_shipped_yaml_is_strictly_valid() -> None:
    root = Path(__file__).parents[2]
    shipped = [
        p
        for folder in ("src", "agents", "graphs", "tools", "policies", "examples")
        for p in (root / folder).rglob("*.yaml")
    ]
    assert len(shipped) > 5
    for path in shipped:
        parse_yaml(path.read_text(encoding="utf-8"), path)
