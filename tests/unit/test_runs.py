"""The run index: states, a dead process's run shown as interrupted, and one claim at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hybridgraph.errors import ConfigError
from hybridgraph.recipe import Recipe
from hybridgraph.runs import RunIndex, RunState


def test_a_run_whose_process_died_shows_as_interrupted(tmp_path: Path) -> None:
    index = RunIndex(tmp_path / "runs.sqlite")
    index.start("r1", "cascade", "contract.pdf", {"pattern": "cascade", "category": "Audit Rights"})
    assert index.get("r1").state is RunState.RUNNING
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with index._db() as db:
        db.execute("UPDATE runs SET pid = ? WHERE run_id = 'r1'", (int(dead.stdout),))
    assert index.get("r1").state is RunState.INTERRUPTED
    index.update("r1", RunState.DONE, "accepted")
    (listed,) = index.list()
    assert (listed.state, listed.detail, listed.input) == (RunState.DONE, "accepted", "contract.pdf")


def test_only_one_process_can_take_up_a_run(tmp_path: Path) -> None:
    index = RunIndex(tmp_path / "runs.sqlite")
    index.start("r2", "split", "nda.docx", {})
    seen_by_both = index.get("r2")
    index.claim(seen_by_both)
    with pytest.raises(ConfigError, match="taken up by another process"):
        index.claim(seen_by_both)


def test_unknown_runs_name_the_command_that_lists_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hybridgraph runs"):
        RunIndex(tmp_path / "runs.sqlite").get("nope")


def test_a_recipe_keeps_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("name: mine\n")
    recipe = Recipe.of("cascade", "Audit Rights", "mine.yaml", Path("catalog.yaml"))
    assert recipe.policy == str(tmp_path / "mine.yaml") and recipe.catalog == str(tmp_path / "catalog.yaml")
    assert Recipe.of("split", "Audit Rights", "strict").policy == "strict"
    assert Recipe.of("split", "Audit Rights", "strict").endpoints() == ["local-smollm2", "cloud-gpt"]


async def test_a_run_killed_before_its_first_checkpoint_is_not_resumed(tmp_path: Path) -> None:
    from hybridgraph.graphs.durable import resume_run

    index = RunIndex(tmp_path / "runs.sqlite")
    index.start("early", "cascade", "c.txt", Recipe.of("cascade", "Audit Rights", "balanced").model_dump(mode="json"))
    with index._db() as db:  # as if its process had died right away
        db.execute("UPDATE runs SET state = 'interrupted' WHERE run_id = 'early'")
    with pytest.raises(ConfigError, match="stopped before its first step"):
        await resume_run("early", index=index)
    assert index.get("early").state is RunState.FAILED
