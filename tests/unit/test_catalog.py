from __future__ import annotations

from pathlib import Path

import pytest

from hybridgraph.catalog import CATALOG_ENV, Catalog, Endpoint, Tier
from hybridgraph.errors import ConfigError, UnknownModelError
from hybridgraph.home import DataHome
from hybridgraph.zones import TrustZone


def write(tmp_path: Path, text: str, name: str = "catalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_catalog_has_a_default_local_endpoint() -> None:
    catalog = Catalog.builtin()
    default = catalog.resolve()
    assert default.name == "local-smollm2"
    assert default.zone is TrustZone.LOCAL
    assert {e.zone for e in catalog.endpoints.values()} >= {TrustZone.LOCAL, TrustZone.PUBLIC}


def test_zone_defaults_follow_the_provider() -> None:
    assert Endpoint(model="ollama:qwen2.5").zone is TrustZone.LOCAL
    assert Endpoint(model="llamacpp:smollm2").zone is TrustZone.LOCAL
    assert Endpoint(model="litellm:openai/gpt-4o").zone is TrustZone.PUBLIC
    assert Endpoint(model="litellm:hosted_vllm/llama", zone="private").zone is TrustZone.PRIVATE


def test_catalog_file_loads_with_all_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
default: vpc
endpoints:
  vpc:
    model: litellm:hosted_vllm/llama-3-70b
    zone: private
    api_base: http://vllm.internal:8000/v1
    usd_per_1m_input: 0.2
    usd_per_1m_output: 0.4
    context_window: 32000
    tier: large
""",
    )
    endpoint = Catalog.from_file(path).resolve()
    assert endpoint.name == "vpc"
    assert endpoint.zone is TrustZone.PRIVATE
    assert endpoint.tier is Tier.LARGE
    assert endpoint.cost_usd(1_000_000, 500_000) == pytest.approx(0.4)


def test_misspelt_key_gives_line_column_and_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, "endpoints:\n  mine:\n    model: ollama:qwen2.5\n    zoen: local\n")
    with pytest.raises(ConfigError) as info:
        Catalog.from_file(path)
    err = info.value
    assert (err.path, err.line, err.column) == (path, 4, 5)
    assert err.fix is not None and "did you mean 'zone'" in err.fix
    assert str(path) + ":4:5" in str(err)


def test_bad_model_string_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "endpoints:\n  mine:\n    model: olama:qwen2.5\n")
    with pytest.raises(ConfigError) as info:
        Catalog.from_file(path)
    assert info.value.line == 3
    assert "ollama:qwen2.5" in info.value.message


def test_bad_value_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "endpoints:\n  mine:\n    model: ollama:q\n    zone: moon\n")
    with pytest.raises(ConfigError) as info:
        Catalog.from_file(path)
    assert info.value.line == 4
    assert "zone" in info.value.message


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = write(tmp_path, "endpoints:\n  mine: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        Catalog.from_file(path)
    assert info.value.line is not None and "YAML syntax error" in info.value.message


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        Catalog.from_file(tmp_path / "absent.yaml")


def test_undefined_default_fails_when_resolved(tmp_path: Path) -> None:
    path = write(tmp_path, "default: cloud-gtp\nendpoints:\n  a:\n    model: ollama:q\n")
    catalog = Catalog.builtin().merged(Catalog.from_file(path))
    with pytest.raises(UnknownModelError, match="Did you mean 'cloud-gpt'"):
        catalog.resolve()


def test_unknown_endpoint_lists_available_and_close_matches() -> None:
    with pytest.raises(UnknownModelError) as info:
        Catalog.builtin().resolve("cloud-gtp")
    assert "'cloud-gpt'" in info.value.message
    assert "local-smollm2" in info.value.message


def test_model_string_resolves_to_adhoc_endpoint() -> None:
    endpoint = Catalog.builtin().resolve("litellm:openai/gpt-4.1")
    assert endpoint.zone is TrustZone.PUBLIC and endpoint.name == "litellm:openai/gpt-4.1"


def test_load_layers_home_env_and_explicit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = DataHome(tmp_path / "home")
    home.ensure()
    write(home.root, "endpoints:\n  cloud-gpt:\n    model: litellm:openai/gpt-4.1\n")
    env_file = write(tmp_path, "endpoints:\n  extra:\n    model: ollama:phi3\n", "env.yaml")
    explicit = write(tmp_path, "default: extra\n", "explicit.yaml")
    monkeypatch.setenv(CATALOG_ENV, str(env_file))
    catalog = Catalog.load(explicit, home=home)
    assert catalog.endpoints["cloud-gpt"].model == "litellm:openai/gpt-4.1"  # overridden by home
    assert "local-smollm2" in catalog.endpoints  # shipped ones kept
    assert catalog.resolve().name == "extra"
