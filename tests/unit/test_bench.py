"""The benchmark suite's output: the JSON shape the issue asks for, and ``hybridgraph bench``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bench.common import Result, write_json
from hybridgraph.cli.bench import checkout
from hybridgraph.cli.main import app


def row(key: str, value: float, holds: bool | None) -> Result:
    return Result(key, "a measure", "ms", value, 2.0, "a baseline", "<= 1.2x", holds, {"runs_per_s": 3.0})


def test_json_has_one_key_per_row_and_the_policy_p99(tmp_path: Path) -> None:
    write_json([row("P1", 1.0, True), row("R1", 0.0123, True), row("R4", 5.0, None)], tmp_path / "b.json")
    data = json.loads((tmp_path / "b.json").read_text())
    assert set(data) == {"P1", "R1", "R4", "policy_p99_ms"}
    assert data["P1"]["value"] == 1.0 and data["P1"]["goal"] == "<= 1.2x" and data["P1"]["holds"] is True
    assert data["P1"]["ratio"] == 0.5 and data["P1"]["extra"] == {"runs_per_s": 3.0}
    assert data["R4"]["holds"] is None and data["policy_p99_ms"] == 0.0123


def test_bench_command_runs_the_checkouts_suite() -> None:
    root = checkout()
    assert root is not None and (root / "bench" / "__main__.py").is_file()
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output and "--json" in result.output
