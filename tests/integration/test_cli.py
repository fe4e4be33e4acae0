"""The ``hybridgraph`` command as a user runs it: a subprocess, real models, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OllamaServer

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]


def hg(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=180, input=stdin, env={**os.environ, **(env or {})}
    )


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
    assert "paris" in result.stdout.lower()


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
