"""What a user's commands leave in the data home is owner-only (folders 0700, files 0600) and the
knowledge store holds no passage text in the clear: ingest and search, a durable run (checkpoints
and the run index) and a model call (its trace and audit entry), each a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from at_rest import count, modes

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]
SENTENCE = "The harbour ledger of Quillon Marchetti-Vasquez is kept at 17 Larkspur Wharf."
CONTRACT = f"""SERVICES AGREEMENT

1. Records. {SENTENCE}

2. Limitation of Liability. The aggregate liability of the supplier shall not exceed the fees paid
by the customer in the twelve months before the claim.
"""


def hg(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYBRIDGRAPH_HOME": str(home), "COLUMNS": "160"}
    for name in ("QDRANT_URL", "HYBRIDGRAPH_CHECKPOINT_URL", "HYBRIDGRAPH_AUDIT_LOG", "HYBRIDGRAPH_VAULT_KEY"):
        env.pop(name, None)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


def test_every_file_the_commands_leave_in_the_data_home_is_owner_only(tmp_path: Path) -> None:
    home, doc = tmp_path / "home", tmp_path / "ledger.txt"
    doc.write_text(CONTRACT, encoding="utf-8")
    policy = tmp_path / "ask.yaml"
    policy.write_text(yaml.safe_dump({"name": "ask", "rules": [{"id": "ask", "action": "human"}]}))

    ingested = hg(home, "ingest", str(doc), "--collection", "kb")
    assert ingested.returncode == 0, ingested.stderr
    found = hg(home, "search", "where is the harbour ledger kept", "-c", "kb", "--k", "1", "--json")
    assert found.returncode == 0, found.stderr
    assert SENTENCE in json.loads(found.stdout)[0]["text"]  # search returns it in the clear
    (storage,) = (home / "qdrant" / "collection").glob("*/storage.sqlite")
    raw = b"".join(p.read_bytes() for p in (home / "qdrant").rglob("*") if p.is_file())
    assert b"Marchetti-Vasquez" not in raw and b"Larkspur" not in raw and b"Limitation of Liability" not in raw
    assert storage.stat().st_size > 0

    started = hg(home, "run", "cascade", str(doc), "--policy", str(policy), "--json")
    assert started.returncode == 0, started.stderr
    (run,) = json.loads(hg(home, "runs", "--json").stdout)
    assert run["state"] == "waiting_for_approval"
    assert hg(home, "approve", run["run_id"], "--deny").returncode == 0
    asked = hg(home, "ask", "--model", "llamacpp:smollm2", "--max-tokens", "4", "Name a colour.")
    assert asked.returncode == 0, asked.stderr

    made = {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()}
    assert {"checkpoints/runs.sqlite", "checkpoints/runs-index.sqlite", "audit/audit.jsonl"} <= made
    assert any(name.startswith("traces/") for name in made) and storage.relative_to(home).as_posix() in made
    assert count(home)[1] >= 6
    assert modes(home) == {}
