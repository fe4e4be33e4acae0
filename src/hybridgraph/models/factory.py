"""Turn an endpoint name or model string into a ``ModelClient``: the one place that does."""

from __future__ import annotations

from hybridgraph.catalog import Catalog, Endpoint
from hybridgraph.errors import ConfigError
from hybridgraph.models.base import ModelClient
from hybridgraph.modelspec import Provider
from hybridgraph.telemetry.audit import AuditLog
from hybridgraph.zones import TrustZone

__all__ = ["open_model"]


def open_model(
    ref: str | Endpoint | None = None, *, catalog: Catalog | None = None, audit: AuditLog | None = None
) -> ModelClient:
    """A client for ``ref``: an endpoint, an endpoint name, a model string, or the default.

    The client comes wrapped, outermost first, in ``InstrumentedModel`` (a ``chat`` span per
    call), ``AuditedModel`` (entries in ``audit``, by default ``AuditLog.default()``: an intent
    before every non-local call, which is not made when the intent cannot be written, and an
    entry after every call), for every endpoint outside the local zone the ``EgressGuard`` (there is no way to get an
    unguarded non-local client from here), and the endpoint's retries and circuit breaker
    (``resilient``), which see each attempt. Backends are imported only when first opened, so
    importing hybridgraph stays fast.
    """
    from hybridgraph.models.audited import AuditedModel
    from hybridgraph.models.instrumented import InstrumentedModel
    from hybridgraph.models.resilient import resilient

    endpoint = ref if isinstance(ref, Endpoint) else (catalog or Catalog.load()).resolve(ref)
    client = resilient(_backend(endpoint))
    if endpoint.zone is not TrustZone.LOCAL:
        from hybridgraph.models.egress import EgressGuard
        from hybridgraph.tools.pii.detector import shared_detector

        client = EgressGuard(client, scanner=lambda text: shared_detector().detect(text))
    return InstrumentedModel(AuditedModel(client, audit))


def _backend(endpoint: Endpoint) -> ModelClient:
    provider = endpoint.spec.provider
    if provider is Provider.LLAMACPP:
        from hybridgraph.models.llamacpp import LlamaCppModel

        return LlamaCppModel(endpoint)
    if provider is Provider.OLLAMA:
        from hybridgraph.models.ollama import OllamaModel

        return OllamaModel(endpoint)
    if provider is Provider.LITELLM:
        from hybridgraph.models.litellm import LiteLLMModel

        return LiteLLMModel(endpoint)
    raise ConfigError(
        f"endpoint '{endpoint.name}' uses a function model, which only exists in code",
        fix="build it in Python with FunctionModel(fn) and pass the client directly",
    )
