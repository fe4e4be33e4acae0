"""The README's two commands exist, and CI runs the README's test command verbatim."""

from __future__ import annotations

import re

from readme_commands import ROOT
from readme_commands import readme_commands as _commands


def test_readme_has_the_main_job_and_the_test_command() -> None:
    main_job, tests = _commands()
    assert "hybridgraph run" in main_job and ".[embedded]" in main_job
    sample = re.search(r"hybridgraph run [\w-]+ (\S+)", main_job)
    assert sample is not None and (ROOT / sample.group(1)).is_file()
    assert "pytest" in tests and ".[dev,embedded]" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, tests = _commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
