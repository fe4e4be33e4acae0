"""The model catalog: named endpoints with a trust zone, prices, context window and tier.

Pipelines and policies refer to endpoints by name, so swapping a model is a one-line
catalog change, never a code change. The shipped catalog (``catalog.yaml`` in this
package) is extended by ``$HYBRIDGRAPH_HOME/catalog.yaml`` and by a file named in
``HYBRIDGRAPH_CATALOG``; later files override earlier ones endpoint by endpoint.
"""

from __future__ import annotations

import difflib
import os
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hybridgraph.errors import HybridGraphError, UnknownModelError
from hybridgraph.home import DataHome
from hybridgraph.modelspec import ModelSpec, Provider, parse_model_string
from hybridgraph.resilience import Resilience
from hybridgraph.yamlconfig import load_yaml_model, validate_yaml_text
from hybridgraph.zones import TrustZone

__all__ = ["CATALOG_ENV", "Catalog", "Endpoint", "Tier"]

CATALOG_ENV = "HYBRIDGRAPH_CATALOG"

_DEFAULT_ZONE = {
    Provider.OLLAMA: TrustZone.LOCAL,
    Provider.LLAMACPP: TrustZone.LOCAL,
    Provider.FUNCTION: TrustZone.LOCAL,
    Provider.LITELLM: TrustZone.PUBLIC,
}


class Tier(StrEnum):
    """Rough capability class, used by policies ("complex tasks need >= large")."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    FRONTIER = "frontier"


class Endpoint(BaseModel):
    """One model endpoint: what to call, where it runs, and what it costs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    model: str = Field(description="model string, e.g. ollama:qwen2.5:1.5b or litellm:openai/gpt-4o-mini")
    zone: TrustZone = Field(
        default=TrustZone.LOCAL,
        description="local, private or public; defaults to local for ollama/llamacpp, public for litellm",
    )
    api_base: str | None = Field(default=None, description="server URL; Ollama host or OpenAI-style base")
    api_key_env: str | None = Field(default=None, description="environment variable holding the API key")
    usd_per_1m_input: float | None = Field(default=None, ge=0, description="overrides LiteLLM's price map")
    usd_per_1m_output: float | None = Field(default=None, ge=0, description="overrides LiteLLM's price map")
    context_window: int = Field(default=8192, gt=0)
    tier: Tier = Tier.SMALL
    timeout_s: float = Field(default=120.0, gt=0, description="the longest a call (or a stream's pause) may take")
    resilience: Resilience = Field(
        default_factory=Resilience, description="retries with backoff and the circuit breaker of this endpoint"
    )
    structured_output: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="how a LiteLLM endpoint is asked for JSON: OpenAI's json_schema response format, "
        "or json_object with a schema (llama.cpp's server, Anyscale)",
    )
    system_prompt: str | None = Field(
        default=None, description="system message for requests that bring none (model-specific prompting)"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="backend-specific settings")
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _zone_from_provider(cls, data: Any) -> Any:
        if isinstance(data, dict) and "zone" not in data and isinstance(data.get("model"), str):
            try:
                provider = parse_model_string(data["model"]).provider
            except HybridGraphError:
                return data  # the field validator reports it
            data = {**data, "zone": _DEFAULT_ZONE[provider]}
        return data

    @field_validator("model")
    @classmethod
    def _valid_model_string(cls, value: str) -> str:
        try:
            parse_model_string(value)
        except HybridGraphError as exc:
            raise ValueError(exc.message) from None
        return value

    @property
    def spec(self) -> ModelSpec:
        """The parsed model string."""
        return parse_model_string(self.model)

    @property
    def has_price(self) -> bool:
        """True when the catalog fixes this endpoint's prices."""
        return self.usd_per_1m_input is not None or self.usd_per_1m_output is not None

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """Cost from the catalog's prices (0 for unpriced endpoints)."""
        price_in = self.usd_per_1m_input or 0.0
        price_out = self.usd_per_1m_output or 0.0
        return (input_tokens * price_in + output_tokens * price_out) / 1_000_000


class Catalog(BaseModel):
    """Named endpoints plus the default endpoint used when none is named."""

    model_config = ConfigDict(extra="forbid")

    default: str = "local-smollm2"
    endpoints: dict[str, Endpoint] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fill_names(self) -> Catalog:
        self.endpoints = {k: v.model_copy(update={"name": k}) for k, v in self.endpoints.items()}
        # The default is checked when resolved: an overlay file may name an endpoint of another layer.
        return self

    @classmethod
    def from_file(cls, path: Path | str) -> Catalog:
        """Load a catalog YAML file; errors carry file:line:column."""
        return load_yaml_model(path, cls)

    @classmethod
    def builtin(cls) -> Catalog:
        """The catalog shipped with hybridgraph."""
        text = files("hybridgraph").joinpath("catalog.yaml").read_text(encoding="utf-8")
        return validate_yaml_text(text, cls, source="hybridgraph/catalog.yaml")

    @classmethod
    def load(cls, path: Path | str | None = None, home: DataHome | None = None) -> Catalog:
        """Shipped catalog, extended by the home catalog, ``HYBRIDGRAPH_CATALOG`` and ``path``."""
        catalog = cls.builtin()
        home = home or DataHome.from_env()
        sources: list[Path | str] = [home.catalog_file] if home.catalog_file.is_file() else []
        sources += [p for p in (os.environ.get(CATALOG_ENV), path) if p]
        for source in sources:
            catalog = catalog.merged(cls.from_file(source))
        return catalog

    def merged(self, other: Catalog) -> Catalog:
        """This catalog with ``other``'s endpoints added or replaced, and its default."""
        default = other.default if "default" in other.model_fields_set else self.default
        return Catalog(default=default, endpoints={**self.endpoints, **other.endpoints})

    def resolve(self, ref: str | None = None) -> Endpoint:
        """An endpoint by name, or an ad-hoc endpoint for a model string."""
        ref = (ref or self.default).strip()
        if ref in self.endpoints:
            return self.endpoints[ref]
        by_model = [e for e in self.endpoints.values() if e.model == ref]
        if by_model:
            return by_model[0]
        if ":" in ref:
            parse_model_string(ref)  # raises UnknownModelError with the accepted forms
            return Endpoint(name=ref, model=ref)
        raise self._unknown(ref)

    def _unknown(self, ref: str) -> UnknownModelError:
        names = sorted(self.endpoints)
        close = difflib.get_close_matches(ref, names + [e.model for e in self.endpoints.values()], n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return UnknownModelError(
            f"Unknown model or endpoint '{ref}'. Available endpoints: {', '.join(names)}.{hint}",
            fix="name a catalog endpoint, or pass a model string such as ollama:<model>, "
            "litellm:<provider>/<model> or llamacpp:smollm2 (see `hybridgraph models`)",
        )
