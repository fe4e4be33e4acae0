"""The model layer: ``ModelClient`` and its backends (Ollama, LiteLLM, llama.cpp, FunctionModel).

Backends load lazily: ``from hybridgraph.models import OllamaModel`` imports only that backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hybridgraph.models.base import ChatRequest, Completion, Message, ModelClient, StreamChunk, Usage, WrappedModel
from hybridgraph.models.factory import open_model
from hybridgraph.models.function import FunctionModel

if TYPE_CHECKING:
    from hybridgraph.models.audited import AuditedModel
    from hybridgraph.models.egress import EgressGuard
    from hybridgraph.models.instrumented import InstrumentedModel
    from hybridgraph.models.litellm import LiteLLMModel
    from hybridgraph.models.llamacpp import LlamaCppModel
    from hybridgraph.models.ollama import OllamaModel

__all__ = [
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
]

_LAZY = {
    "AuditedModel": "hybridgraph.models.audited",
    "EgressGuard": "hybridgraph.models.egress",
    "InstrumentedModel": "hybridgraph.models.instrumented",
    "LiteLLMModel": "hybridgraph.models.litellm",
    "LlamaCppModel": "hybridgraph.models.llamacpp",
    "OllamaModel": "hybridgraph.models.ollama",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hybridgraph.models' has no attribute '{name}'")
