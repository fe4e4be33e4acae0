"""hybridgraph: SLM-first, LLM-fallback hybrid agent workflows.

Small local models do most of the work; cloud models are called only when a step needs
them, and only with redacted data. The public surface is ``__all__``; names other than
the error tree and the zone enums are imported on first use, so ``import hybridgraph``
(and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hybridgraph.errors import (
    CircuitOpenError,
    ConfigError,
    ContextOverflowError,
    CredentialsError,
    DependencyMissingError,
    EgressBlocked,
    EndpointUnreachableError,
    HybridGraphError,
    InputError,
    ModelCallError,
    ModelError,
    ModelNotPulledError,
    ModelTimeoutError,
    PrivacyError,
    RateLimitedError,
    StructuredOutputError,
    UnknownModelError,
)
from hybridgraph.zones import Sensitivity, TrustZone

if TYPE_CHECKING:
    from hybridgraph.agents.base import BuildContext, PipelineAgent
    from hybridgraph.catalog import Catalog, Endpoint, Tier
    from hybridgraph.graphs.pipeline import Pipeline, PipelineResult
    from hybridgraph.graphs.registry import register_agent, register_tool
    from hybridgraph.home import DataHome
    from hybridgraph.models import (
        AuditedModel,
        ChatRequest,
        Completion,
        EgressGuard,
        FunctionModel,
        InstrumentedModel,
        LiteLLMModel,
        LlamaCppModel,
        Message,
        ModelClient,
        OllamaModel,
        StreamChunk,
        Usage,
        WrappedModel,
        open_model,
    )
    from hybridgraph.modelspec import ModelSpec, Provider, parse_model_string
    from hybridgraph.resilience import Resilience
    from hybridgraph.telemetry import AuditLog, Telemetry, TracedNode, workflow
    from hybridgraph.tools.reports import Report

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Catalog": "hybridgraph.catalog",
    "Endpoint": "hybridgraph.catalog",
    "Tier": "hybridgraph.catalog",
    "DataHome": "hybridgraph.home",
    "Resilience": "hybridgraph.resilience",
    "ModelSpec": "hybridgraph.modelspec",
    "Provider": "hybridgraph.modelspec",
    "parse_model_string": "hybridgraph.modelspec",
    "BuildContext": "hybridgraph.agents.base",
    "PipelineAgent": "hybridgraph.agents.base",
    "Pipeline": "hybridgraph.graphs.pipeline",
    "PipelineResult": "hybridgraph.graphs.pipeline",
    "register_agent": "hybridgraph.graphs.registry",
    "register_tool": "hybridgraph.graphs.registry",
    "Report": "hybridgraph.tools.reports",
    **dict.fromkeys(("AuditLog", "Telemetry", "TracedNode", "workflow"), "hybridgraph.telemetry"),
    **dict.fromkeys(
        (
            "AuditedModel",
            "ChatRequest",
            "Completion",
            "EgressGuard",
            "FunctionModel",
            "InstrumentedModel",
            "LiteLLMModel",
            "LlamaCppModel",
            "Message",
            "ModelClient",
            "OllamaModel",
            "StreamChunk",
            "Usage",
            "WrappedModel",
            "open_model",
        ),
        "hybridgraph.models",
    ),
}

__all__ = [
    "AuditLog",
    "AuditedModel",
    "BuildContext",
    "Pipeline",
    "PipelineAgent",
    "PipelineResult",
    "Report",
    "register_agent",
    "register_tool",
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
    "EgressGuard",
    "Endpoint",
    "EndpointUnreachableError",
    "FunctionModel",
    "HybridGraphError",
    "InputError",
    "InstrumentedModel",
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
    "Telemetry",
    "Tier",
    "TracedNode",
    "TrustZone",
    "UnknownModelError",
    "Usage",
    "WrappedModel",
    "__version__",
    "open_model",
    "parse_model_string",
    "workflow",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hybridgraph' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
