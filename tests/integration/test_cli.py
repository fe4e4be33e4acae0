"""The ``hybridgraph`` command as a user runs it: a subprocess, real models, no tracebacks."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import OllamaServer
from readme_commands import ROOT, readme_commands

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]


def hg(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_the_readme_main_job_reviews_the_sample_contract_locally(tmp_path: Path) -> None:
    main_job = readme_commands()[0]
    args = main_job.split("hybridgraph ", 1)[1]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # run from a copy: the reports land in tmp_path
    result = hg(*shlex.split(args), env={"HYBRIDGRAPH_HOME": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "supplier-agreement.md: " in result.stdout and "hybridgraph trace show" in result.stdout
    report = json.loads((tmp_path / "reports" / "supplier-agreement.contract-review.json").read_text())
    contract = (ROOT / "examples/contracts/supplier-agreement.md").read_text()
    from hybridgraph.tools.knowledge import clause_categories

    assert {f["category"] for f in report["findings"]} == {c.name for c in clause_categories()}
    for finding in report["findings"]:
        assert finding["status"] in ("violation", "needs_review", "compliant", "not_found")
        if finding["quote"]:  # verbatim, located, and judged locally (no cloud is configured)
            assert contract[finding["start"] : finding["end"]] == finding["quote"]
            assert finding["route"] in ("local", "human")
        if finding["review"].startswith("escalation skipped"):
            assert "no cloud endpoint is configured (cloud-gpt" in finding["review"]
    assert report["sensitivity"] == "restricted"  # the IBAN
    # The sample's renewal, notice and law clauses break by measure: whatever
    # the 135M model answers, none may come out compliant, and a review says what was measured.
    found = {f["category"]: f for f in report["findings"]}
    for category, rule in [
        ("Renewal Term", "R-09"),
        ("Notice Period to Terminate Renewal", "R-10"),
        ("Governing Law", "R-15"),
    ]:
        assert found[category]["status"] in ("violation", "needs_review"), found[category]["status"]
        if found[category]["status"] == "needs_review":
            assert found[category]["explanation"].startswith(f"{rule}: the ") and found[category]["rule"] == rule
    assert (tmp_path / "reports" / "supplier-agreement.contract-review.html").read_text().startswith("<!doctype html>")


def test_ask_embedded_prints_a_real_answer() -> None:
    result = hg("ask", "--model", "llamacpp:smollm2", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert "paris" in result.stdout.lower()
    assert "local-smollm2 (local)" in result.stderr and "tokens" in result.stderr


def test_ask_reads_stdin_and_uses_ollama(ollama_server: OllamaServer) -> None:
    result = hg(
        "ask",
        "--model",
        "ollama:smollm2:135m",
        "--no-stream",
        "-",
        env={"OLLAMA_HOST": ollama_server.url},
        stdin="What is the capital of France?",
    )
    assert result.returncode == 0, result.stderr
    # The question came from stdin and the answer from the Ollama server. The 135M model's greedy
    # wording depends on the llama.cpp build (llama-cpp-python 0.3.36 gives a wrong name), so
    # the answer is checked for the question's subject; test_ask_embedded checks a right answer.
    assert "france" in result.stdout.lower()
    assert "ollama:smollm2:135m" in result.stderr and "tokens" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["ask", "--model", "olama:qwen", "hi"], {}, "Did you mean 'ollama:qwen'"),
        (["ask", "--model", "cloud-gtp", "hi"], {}, "Did you mean 'cloud-gpt'"),
        (["ask", "--model", "ollama:qwen2.5", "hi"], {"OLLAMA_HOST": "http://127.0.0.1:9"}, "ollama serve"),
        (["ask", "--model", "cloud-gpt", "hi"], {}, "OPENAI_API_KEY"),
        (["ask", "   "], {}, "prompt is empty"),
    ],
)
def test_bad_input_is_an_error_with_a_fix_not_a_traceback(args: list[str], env: dict[str, str], expected: str) -> None:
    result = hg(*args, env=env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Fix:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_model_not_pulled_names_the_pull_command(ollama_server: OllamaServer) -> None:
    result = hg("ask", "--model", "ollama:qwen2.5:1.5b", "hi", env={"OLLAMA_HOST": ollama_server.url})
    assert result.returncode == 2 and "ollama pull qwen2.5:1.5b" in result.stderr


def test_models_json_reports_usability(ollama_server: OllamaServer, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("endpoints:\n  test-ollama:\n    model: ollama:smollm2:135m\n")
    result = hg("models", "--json", "--catalog", str(catalog), env={"OLLAMA_HOST": ollama_server.url})
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["local-smollm2"]["ready"] and rows["local-smollm2"]["default"]
    assert rows["test-ollama"]["ready"]
    assert not rows["ollama-qwen"]["ready"] and rows["ollama-qwen"]["fix"] == "ollama pull qwen2.5:1.5b"
    assert not rows["cloud-gpt"]["ready"] and "OPENAI_API_KEY" in rows["cloud-gpt"]["status"]
    assert rows["cloud-gpt"]["zone"] == "public"


def test_models_table_and_bad_catalog(tmp_path: Path) -> None:
    result = hg("models")
    assert result.returncode == 0 and "local-smollm2" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("endpoints:\n  x:\n    modle: ollama:q\n")
    result = hg("models", "--catalog", str(bad))
    assert result.returncode == 2 and f"{bad}:3:5" in result.stderr and "did you mean 'model'" in result.stderr


def test_help_lists_commands() -> None:
    result = hg("--help")
    assert result.returncode == 0 and "ask" in result.stdout and "models" in result.stdout


def test_a_run_leaves_a_trace_to_show_and_open_and_an_audit_entry_to_verify(tmp_path: Path) -> None:
    env = {"HYBRIDGRAPH_HOME": str(tmp_path), "JAEGER_UI_URL": "http://jaeger.internal:16686", "COLUMNS": "160"}
    asked = hg("ask", "--model", "llamacpp:smollm2", "--max-tokens", "8", "Name a colour.", env=env)
    assert asked.returncode == 0, asked.stderr
    run_id = asked.stderr.split("trace show ")[1].split()[0]
    assert hg("trace", "list", env=env).stdout.split() == [run_id]
    shown = hg("trace", "show", run_id[:8], env=env)
    assert shown.returncode == 0, shown.stderr
    assert "invoke_workflow ask" in shown.stdout and "chat smollm2" in shown.stdout and "zone local" in shown.stdout
    trace_id = json.loads((tmp_path / "traces" / f"{run_id}.json").read_text())["trace_id"]
    assert hg("trace", "open", run_id, env=env).stdout.strip() == f"http://jaeger.internal:16686/trace/{trace_id}"
    verified = hg("audit", "verify", env=env)
    assert verified.returncode == 0 and "1 entries" in verified.stdout
    log = tmp_path / "audit" / "audit.jsonl"
    log.write_text(log.read_text().replace('"output_tokens":', '"output_tokens":1'))
    tampered = hg("audit", "verify", str(log), env=env)
    assert tampered.returncode == 1 and "entry 1 (line 1) was edited" in tampered.stdout


def test_a_broken_audit_log_stops_a_cloud_ask_before_anything_is_sent(tmp_path: Path, cloud_server: Any) -> None:
    from conftest import CLOUD_KEY, CLOUD_KEY_ENV, CLOUD_TEST_MODEL

    catalog = tmp_path / "catalog.yaml"
    cloud = f"model: litellm:openai/{CLOUD_TEST_MODEL}\n    api_base: {cloud_server.api_base}\n"
    catalog.write_text(f"endpoints:\n  cloud-gpt:\n    {cloud}    api_key_env: {CLOUD_KEY_ENV}\n")
    env = {"HYBRIDGRAPH_HOME": str(tmp_path / "home"), "HYBRIDGRAPH_CATALOG": str(catalog), CLOUD_KEY_ENV: CLOUD_KEY}
    ask = ("ask", "-m", "cloud-gpt", "--max-tokens", "4", "--no-stream", "Name a colour.")
    assert hg(*ask, env=env).returncode == 0
    log = tmp_path / "home" / "audit" / "audit.jsonl"
    assert [json.loads(line)["kind"] for line in log.read_text().splitlines()] == ["intent", "outcome"]
    with log.open("a") as fh:
        fh.write('{"seq": 3, "ki')  # the finding: a broken last line let the call through unaudited
    cloud_server.proxy.clear()
    refused = hg(*ask, env=env)
    assert refused.returncode == 2 and "the last line of the audit log" in refused.stderr
    assert "hybridgraph audit rotate" in refused.stderr and "Traceback" not in refused.stderr
    assert cloud_server.proxy.raw == b""  # nothing reached the cloud
    assert hg("audit", "rotate", env=env).returncode == 0
    assert hg(*ask, env=env).returncode == 0 and cloud_server.proxy.raw
    assert hg("audit", "verify", env=env).stdout.startswith("ok:")


def test_trace_commands_name_the_problem_and_the_fix(tmp_path: Path) -> None:
    env = {"HYBRIDGRAPH_HOME": str(tmp_path)}
    missing = hg("trace", "show", "no-such-run", env=env)
    assert missing.returncode == 2 and "hybridgraph trace list" in missing.stderr and "Traceback" not in missing.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    broken = hg("trace", "show", str(junk), env=env)
    assert broken.returncode == 2 and "not a readable trace file" in broken.stderr
