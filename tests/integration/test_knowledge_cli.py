"""``hybridgraph ingest`` and ``hybridgraph search`` as a user runs them, with the local store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ingest import CONTRACT

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYBRIDGRAPH_HOME": str(home)}
    env.pop("QDRANT_URL", None)
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=300, env=env)


def test_ingest_then_search_plain_json_and_batch(tmp_path: Path) -> None:
    doc = tmp_path / "supply.txt"
    doc.write_text(CONTRACT, encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    home = tmp_path / "home"
    ingested = run("ingest", str(doc), str(tmp_path / "broken.pdf"), "--collection", "kb", home=home)
    assert ingested.returncode == 1, ingested.stderr  # a file was skipped: the others are stored
    assert "1 files" in ingested.stdout and "1 skipped" in ingested.stdout and "broken.pdf" in ingested.stderr
    found = run("search", "who governs the contract law", "-c", "kb", "--k", "2", "--json", home=home)
    hits = json.loads(found.stdout)
    assert len(hits) == 2 and "New York" in hits[0]["text"] and hits[0]["source"].endswith("supply.txt")
    assert {"score", "start", "end", "section", "sensitivity"} <= set(hits[0])
    queries = (
        '{"id": "q1", "query": "audit of records", "k": 1}\nnot json\n{"id": "q2", "query": "renewal", "k": 1}\n'
        '{"id": "q3", "query": ["right to audit", "inspect the books and records"], "k": 1}\n'
        '{"id": "q4", "query": [" "]}\n'
    )
    lines = [json.loads(x) for x in run("search", "-c", "kb", "--jsonl", home=home, stdin=queries).stdout.splitlines()]
    error = 'not a JSON object with a "query" (a text or a list of texts, not blank) or a "category"'
    assert lines[:2] == [{"line": 2, "error": error}, {"line": 5, "error": error}]
    assert [x["id"] for x in lines[2:]] == ["q1", "q2", "q3"] and "audit" in lines[2]["hits"][0]["text"]
    assert "audit" in lines[4]["hits"][0]["text"]
    by_category = (
        '{"id": "c1", "category": "governing law", "k": 1}\n{"id": "c2", "category": "governing lw"}\n'
        '{"id": "c3", "category": ""}\n'
    )
    batch = run("search", "-c", "kb", "--jsonl", home=home, stdin=by_category)
    lines = [json.loads(x) for x in batch.stdout.splitlines()]
    assert lines[0]["line"] == 2 and "did you mean 'Governing Law'" in lines[0]["error"]
    assert lines[1] == {"line": 3, "error": error}  # a blank category and no query: that line alone
    assert lines[2]["id"] == "c1" and "New York" in lines[2]["hits"][0]["text"]
    defaulted = run("search", "-c", "kb", "--jsonl", "--category", "Renewal Term", home=home, stdin='{"k": 1}\n')
    assert "renews automatically" in json.loads(defaulted.stdout)["hits"][0]["text"], defaulted.stderr
    category = run("search", " ", "-c", "kb", "--category", "Renewal Term", "--k", "1", "--json", home=home)
    assert category.returncode == 0, category.stderr
    assert "renews automatically" in json.loads(category.stdout)[0]["text"]
    unknown = run("search", "-c", "kb", "--category", "Warranty", home=home)
    assert unknown.returncode == 2 and "no clause category 'Warranty'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    phrased = run("search", "governing law", "laws of the State", "-c", "kb", "--k", "1", "--json", home=home)
    assert phrased.returncode == 0, phrased.stderr
    assert "New York" in json.loads(phrased.stdout)[0]["text"]
    lexical = run("search", "governing law", "-c", "kb", "--k", "1", "--json", "--mode", "lexical", home=home)
    assert lexical.returncode == 0, lexical.stderr
    assert "Governing Law" in json.loads(lexical.stdout)[0]["text"]
    wrong = run("search", "governing law", "-c", "kb", "--mode", "fuzzy", home=home)
    assert wrong.returncode == 2 and "hybrid, dense or lexical" in wrong.stderr and "Traceback" not in wrong.stderr


def test_missing_collection_and_unreachable_server_are_clear(tmp_path: Path) -> None:
    missing = run("search", "anything", "-c", "nope", home=tmp_path)
    assert missing.returncode == 2 and "hybridgraph ingest" in missing.stderr and "Traceback" not in missing.stderr
    env_run = subprocess.run(
        [*CLI, "search", "anything", "-c", "kb"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HYBRIDGRAPH_HOME": str(tmp_path), "QDRANT_URL": "http://127.0.0.1:9"},
    )
    assert env_run.returncode == 2 and "QDRANT_URL" in env_run.stderr


def test_the_shipped_checklist_is_one_command_away(tmp_path: Path) -> None:
    ingested = run("ingest", "--builtin", "procurement-checklist", "-c", "checklist", home=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    hits = json.loads(
        run(
            "search", "right to audit the supplier's records", "-c", "checklist", "--k", "1", "--json", home=tmp_path
        ).stdout
    )
    assert "R-21" in hits[0]["text"]
    hits = json.loads(
        run(
            "search", "notice to prevent automatic renewal", "-c", "checklist", "--k", "2", "--json", home=tmp_path
        ).stdout
    )
    assert any("R-10" in h["text"] for h in hits)
    unknown = run("ingest", "--builtin", "nope", "-c", "x", home=tmp_path)
    assert unknown.returncode == 2 and "procurement-checklist" in unknown.stderr


def test_a_collection_an_older_version_made_is_replaced_on_request(tmp_path: Path) -> None:
    """Searching a collection of stemmed BM25 vectors names ``--replace``; ingesting with it works."""
    from qdrant_client import QdrantClient, models

    client = QdrantClient(path=str(tmp_path / "qdrant"))
    client.create_collection(
        "kb",
        vectors_config={"dense": models.VectorParams(size=384, distance=models.Distance.COSINE)},
        sparse_vectors_config={"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    client.close()
    old = run("search", "governing law", "-c", "kb", "--mode", "lexical", home=tmp_path)
    assert old.returncode == 2 and "older hybridgraph" in old.stderr and "--replace" in old.stderr
    assert "Traceback" not in old.stderr
    doc = tmp_path / "supply.txt"
    doc.write_text(CONTRACT, encoding="utf-8")
    assert run("ingest", str(doc), "-c", "kb", home=tmp_path).returncode == 2  # refused without --replace
    replaced = run("ingest", str(doc), "-c", "kb", "--replace", home=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    found = run("search", "governing law", "-c", "kb", "--k", "1", "--json", "--mode", "lexical", home=tmp_path)
    assert "Governing Law" in json.loads(found.stdout)[0]["text"]
