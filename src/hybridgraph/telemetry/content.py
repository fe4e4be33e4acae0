"""Opt-in message content on spans: pseudonymised and truncated, never the raw text.

Content is recorded only when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is true.
Even then each message first passes the PII detector and is pseudonymised with a throwaway
vault (placeholders such as ``<PERSON_1>``; the real values are dropped), then cut to
``MAX_CHARS``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

__all__ = ["CAPTURE_ENV", "MAX_CHARS", "capture_enabled", "messages_attribute", "safe_text"]

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_CHARS = 1000


def capture_enabled() -> bool:
    """Whether the user opted in to message content on spans."""
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def safe_text(text: str) -> str:
    """``text`` pseudonymised (a throwaway vault) and truncated to ``MAX_CHARS``."""
    from hybridgraph.tools.pii import Vault, pseudonymize
    from hybridgraph.tools.pii.detector import shared_detector

    clean = pseudonymize(text, list(shared_detector().detect(text)), Vault())
    return clean if len(clean) <= MAX_CHARS else clean[:MAX_CHARS] + "…"


def messages_attribute(messages: Sequence[tuple[str, str]]) -> str:
    """``(role, text)`` pairs as the GenAI conventions' JSON, each text made safe."""
    return json.dumps(
        [{"role": role, "parts": [{"type": "text", "content": safe_text(text)}]} for role, text in messages]
    )
