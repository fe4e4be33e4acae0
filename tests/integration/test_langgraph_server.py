"""The shipped pipelines on LangGraph's own serving engine: ``langgraph dev`` (the in-memory
LangGraph API server) serves ``langgraph.json`` on loopback, and ``langgraph-sdk`` runs
``contract-review`` through its HTTP API. The server runs without ``--allow-blocking``, so its
blocking-call detector (blockbuster) fails the run if any step blocks the event loop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from readme_commands import ROOT

from hybridgraph.tools.knowledge import clause_categories
from tests.servers.process import free_port, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

pytest.importorskip("langgraph_api", reason="needs the server extra: pip install -e '.[server]'")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

CONTRACT = ROOT / "examples" / "contracts" / "supplier-agreement.md"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``langgraph dev`` on a free port, its working folder (``.langgraph_api``) in a temporary one."""
    work = tmp_path_factory.mktemp("langgraph")
    port = free_port()
    env = {**os.environ, "HYBRIDGRAPH_HOME": str(work / "home"), "LANGSMITH_TRACING": "false"}
    args = ["-m", "langgraph_cli", "dev", "--no-browser", "--no-reload", "--port", str(port)]
    args += ["--config", str(ROOT / "langgraph.json")]
    with running(args, f"http://127.0.0.1:{port}/ok", log=work / "server.log", timeout_s=300, cwd=work, env=env):
        yield f"http://127.0.0.1:{port}", work / "server.log"


async def _review(url: str) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    client = langgraph_sdk.get_client(url=url)
    thread = await client.threads.create()
    steps: list[str] = []
    document = CONTRACT.read_text(encoding="utf-8")
    async for part in client.runs.stream(
        thread["thread_id"],
        "contract-review",
        input={"document": document, "source": CONTRACT.name},
        stream_mode="updates",
    ):
        if part.event == "error":
            raise AssertionError(f"the run failed on the server: {part.data}")
        if part.event == "updates":
            steps += list(part.data)
    state = await client.threads.get_state(thread["thread_id"])
    assistants = await client.assistants.search(limit=20)
    return steps, state["values"], {a["graph_id"]: a for a in assistants}


def test_contract_review_runs_on_the_langgraph_server(server: tuple[str, Path]) -> None:
    url, log = server
    steps, values, graphs = asyncio.run(_review(url))
    assert {"contract-review", "nda-check", "dpa-check"} <= set(graphs)
    assert steps == ["intake", "redact", "find", "judge", "verify_quotes", "report", "release"], log.read_text()[-3000:]
    report = values["report"]
    assert {f["category"] for f in report["findings"]} == {c.name for c in clause_categories()}
    text = CONTRACT.read_text(encoding="utf-8")
    for finding in report["findings"]:
        if finding["quote"]:
            assert text[finding["start"] : finding["end"]] == finding["quote"]  # verbatim, at its location
    assert values["run_id"] and values["sensitivity"] in ("internal", "confidential", "restricted")
    assert "BlockingError" not in log.read_text(errors="replace")
