"""Durable runs from the command line, on real servers: a run killed with SIGKILL mid-step is
finished by ``hybridgraph resume`` without repeating the model calls that had completed (counted
at the servers); a run that waits for a person continues with ``hybridgraph approve``; the
checkpoints hold no document text in the clear."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CLOUD_KEY, CLOUD_KEY_ENV, CLOUD_TEST_MODEL, OllamaServer
from servers.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-c", "from hybridgraph.cli import main; main()"]
CONTRACT = """SUPPLY AGREEMENT

9. Limitation of Liability. The aggregate liability of the supplier under this agreement shall not
exceed the fees paid by the buyer in the twelve months before the claim.

10. Term. This agreement runs for two years from the effective date.
"""


@pytest.fixture
def home(tmp_path: Path, ollama_server: OllamaServer, cloud_server: Any) -> dict[str, Any]:
    """A data home whose catalog points the balanced preset's endpoints at the test servers."""
    proxy = FaultProxy(cloud_server.api_base.removesuffix("/v1"))
    catalog = {
        "endpoints": {
            "local-smollm2": {"model": "ollama:smollm2:135m", "api_base": ollama_server.url, "context_window": 2048},
            "cloud-gpt": {
                "model": f"litellm:openai/{CLOUD_TEST_MODEL}",
                "api_base": f"{proxy.url}/v1",
                "api_key_env": CLOUD_KEY_ENV,
                "usd_per_1m_input": 0.15,
                "usd_per_1m_output": 0.6,
                "structured_output": "json_object",
            },
        }
    }
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    (tmp_path / "contract.txt").write_text(CONTRACT)
    env = {
        **os.environ,
        "HYBRIDGRAPH_HOME": str(tmp_path / "home"),
        "HYBRIDGRAPH_CATALOG": str(tmp_path / "catalog.yaml"),
        CLOUD_KEY_ENV: CLOUD_KEY,
    }
    yield {"env": env, "dir": tmp_path, "proxy": proxy, "ollama": ollama_server}
    proxy.close()


def hg(home: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=home["env"])


def chats(ollama: OllamaServer) -> int:
    return sum(1 for r in ollama.received() if r["path"] == "/api/chat")


def cloud_calls(proxy: FaultProxy) -> int:
    return sum(1 for path in proxy.forwarded if path.endswith("/chat/completions"))


def the_run(home: dict[str, Any]) -> dict[str, Any]:
    listed = hg(home, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    return dict(run)


def test_a_run_killed_mid_step_resumes_without_repeating_completed_calls(home: dict[str, Any]) -> None:
    ollama, proxy = home["ollama"], home["proxy"]
    chats_before = chats(ollama)
    contract = str(home["dir"] / "contract.txt")
    policy = {
        "name": "criteria-then-local",
        "rules": [
            {"id": "criteria-from-cloud", "when": {"task": ["criteria"]}, "action": "cloud_redacted"},
            {"id": "one-go", "when": {"attempt_at_least": 1}, "action": "keep"},
            {"id": "local", "action": "local"},
        ],
    }
    (home["dir"] / "policy.yaml").write_text(yaml.safe_dump(policy))
    # split: the cloud writes review criteria first (no document data), then the local model solves.
    command = [*CLI, "run", "split", contract, "--policy", str(home["dir"] / "policy.yaml"), "--json"]
    proc = subprocess.Popen(command, env=home["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while chats(ollama) == chats_before:  # the local solve has started: the criteria call completed
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert cloud_calls(proxy) == 1
    run = the_run(home)
    assert run["state"] == "interrupted" and run["pipeline"] == "split" and run["input"] == "contract.txt"

    resumed = hg(home, "resume", run["run_id"], "--json")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["state"] == "done" and out["status"]
    assert cloud_calls(proxy) == 1  # the completed criteria call was not repeated
    assert chats(ollama) - chats_before >= 2  # the killed solve ran again
    assert the_run(home)["state"] == "done"
    checkpoints = (home["dir"] / "home" / "checkpoints" / "runs.sqlite").read_bytes()
    assert b"aggregate liability" not in checkpoints and b"SUPPLY AGREEMENT" not in checkpoints


def test_a_run_waits_for_approval_and_continues_when_approved(home: dict[str, Any]) -> None:
    policy = {
        "name": "ask-first",
        "rules": [
            {"id": "ask-first", "when": {"approved": False}, "action": "human", "reason": "a person signs off first"},
            {"id": "one-go", "when": {"attempt_at_least": 1}, "action": "keep"},
            {"id": "local", "action": "local"},
        ],
    }
    (home["dir"] / "policy.yaml").write_text(yaml.safe_dump(policy))
    contract = str(home["dir"] / "contract.txt")
    started = hg(home, "run", "cascade", contract, "--policy", str(home["dir"] / "policy.yaml"))
    assert started.returncode == 0, started.stderr
    assert "waits for approval" in started.stdout and "a person signs off first" in started.stdout
    run = the_run(home)
    assert run["state"] == "waiting_for_approval"
    assert "hybridgraph approve" in started.stderr

    resumed = hg(home, "resume", run["run_id"])
    assert resumed.returncode == 2 and "waits for a person" in resumed.stderr and "Traceback" not in resumed.stderr

    approved = hg(home, "approve", run["run_id"], "--comment", "ok", "--json")
    assert approved.returncode == 0, approved.stderr
    out = json.loads(approved.stdout)
    assert out["state"] == "done" and [r["rule"] for r in out["routes"]][:2] == ["ask-first", "local"]
    again = hg(home, "approve", run["run_id"])
    assert again.returncode == 2 and "not waiting for approval" in again.stderr


def test_a_denied_run_ends_rejected(home: dict[str, Any]) -> None:
    policy = {"name": "ask", "rules": [{"id": "ask", "action": "human"}]}
    (home["dir"] / "policy.yaml").write_text(yaml.safe_dump(policy))
    hg(home, "run", "cascade", str(home["dir"] / "contract.txt"), "--policy", str(home["dir"] / "policy.yaml"))
    run = the_run(home)
    denied = hg(home, "approve", run["run_id"], "--deny", "--json")
    assert denied.returncode == 0, denied.stderr
    assert json.loads(denied.stdout)["status"] == "rejected"


def test_unknown_runs_and_patterns_are_clear_errors(home: dict[str, Any]) -> None:
    missing = hg(home, "resume", "no-such-run")
    assert missing.returncode == 2 and "hybridgraph runs" in missing.stderr
    bad = hg(home, "run", "waterfall", str(home["dir"] / "contract.txt"))
    assert bad.returncode == 2 and "cascade, parallel or split" in bad.stderr
    skip = hg(home, "run", "cascade", str(home["dir"] / "contract.txt"), "--skip-done")
    assert skip.returncode == 2 and "hybridgraph resume" in skip.stderr and "Traceback" not in skip.stderr


def test_a_run_whose_local_server_died_is_finished_by_resume(home: dict[str, Any], gguf_path: Path) -> None:
    from servers.process import free_port, running

    port = free_port()
    args = [str(Path(__file__).parents[1] / "servers" / "ollama_api.py"), "--port", str(port)]
    args += ["--model", f"smollm2:135m={gguf_path}"]
    url = f"http://127.0.0.1:{port}"
    catalog = yaml.safe_load((home["dir"] / "catalog.yaml").read_text())
    catalog["endpoints"]["local-smollm2"]["api_base"] = url
    (home["dir"] / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    policy = {
        "name": "local-only",
        "rules": [
            {"id": "one-go", "when": {"attempt_at_least": 1}, "action": "keep"},
            {"id": "local", "action": "local"},
        ],
    }
    (home["dir"] / "policy.yaml").write_text(yaml.safe_dump(policy))
    (home["dir"] / "secret.txt").write_text("STRICTLY CONFIDENTIAL\n\n" + CONTRACT)
    command = [*CLI, "run", "cascade", str(home["dir"] / "secret.txt"), "--policy", str(home["dir"] / "policy.yaml")]
    with running(args, f"{url}/api/version", log=home["dir"] / "ollama-a.log") as server:
        proc = subprocess.Popen(command, env=home["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not chats(OllamaServer(url)):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        server.kill()  # the model server dies mid-answer
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "failed" in stdout and "restricted data may not leave" in stdout and "hybridgraph resume" in stderr
    run = the_run(home)
    assert run["state"] == "failed"

    with running(args, f"{url}/api/version", log=home["dir"] / "ollama-b.log"):
        resumed = hg(home, "resume", run["run_id"], "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert chats(OllamaServer(url)) >= 1
    out = json.loads(resumed.stdout)
    assert out["state"] == "done" and out["status"] != "failed" and out["answer_zone"] == "local"
    assert cloud_calls(home["proxy"]) == 0  # restricted: nothing ever went to the cloud


def test_a_queued_escalation_is_sent_by_resume_once_the_cloud_is_back(home: dict[str, Any]) -> None:
    proxy = home["proxy"]
    catalog = yaml.safe_load((home["dir"] / "catalog.yaml").read_text())
    live = catalog["endpoints"]["cloud-gpt"]["api_base"]
    catalog["endpoints"]["cloud-gpt"]["api_base"] = "http://127.0.0.1:9/v1"  # offline
    (home["dir"] / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    policy = {
        "name": "field",
        "rules": [
            {"id": "queue-offline", "when": {"attempt_below": 1, "unreachable": ["cloud-gpt"]}, "action": "queue"},
            {"id": "cloud-first", "when": {"attempt_below": 1}, "action": "cloud_redacted"},
            {"id": "one-go", "action": "keep"},
        ],
    }
    (home["dir"] / "policy.yaml").write_text(yaml.safe_dump(policy))
    started = hg(
        home, "run", "cascade", str(home["dir"] / "contract.txt"), "--policy", str(home["dir"] / "policy.yaml")
    )
    assert started.returncode == 0, started.stderr
    assert "waits for the cloud" in started.stdout
    run = the_run(home)
    assert run["state"] == "queued"
    still = hg(home, "resume", run["run_id"])
    assert still.returncode == 2 and "still not usable" in still.stderr

    catalog["endpoints"]["cloud-gpt"]["api_base"] = live  # back online
    (home["dir"] / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    resumed = hg(home, "resume", run["run_id"], "--json")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["state"] == "done" and out["answer_zone"] == "public" and cloud_calls(proxy) >= 1
    assert [r["rule"] for r in out["routes"]][:2] == ["queue-offline", "cloud-first"]
