"""``RedactorAgent``: the local step that makes a document safe to share, and the one that puts
real values back into an answer.

As a LangGraph node it reads ``document`` and writes ``redacted``, the document's and each
chunk's sensitivity, entity counts and warnings. A ``sensitivity_floor`` in the state (an
excerpt of a document keeps at least the level of the text it came from) raises the level,
and values already in the run's vault are replaced wherever they appear (``Vault.mentions``).
Its ``restore`` node reads ``answer`` (from any model, written with placeholders) and writes
``restored`` and the placeholders it could not restore. Real values stay in the run's vault:
in memory by default, or in a ``VaultStore`` (encrypted files) when a run must survive a restart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.errors import InputError
from hybridgraph.state import ChunkLevel, RunState
from hybridgraph.telemetry.keys import Attr
from hybridgraph.telemetry.spans import tool_span
from hybridgraph.textinput import check_text
from hybridgraph.tools.pii import Vault, pseudonymize, restore
from hybridgraph.tools.pii.classify import ClassificationRules, classify, classify_chunks
from hybridgraph.tools.pii.detector import Detector, shared_detector
from hybridgraph.tools.pii.vault_store import VaultStore

__all__ = ["RedactorAgent"]

# Node signatures spell the config as ``Optional[RunnableConfig]``: with postponed annotations,
# LangGraph injects the run's config only when the annotation's text is one it knows.


class RedactorAgent:
    """Detects, classifies and pseudonymises a run's document; restores values in its answer."""

    def __init__(
        self,
        detector: Detector | None = None,
        rules: ClassificationRules | None = None,
        store: VaultStore | None = None,
    ) -> None:
        self.detector = detector or shared_detector()
        self.rules = rules or ClassificationRules()
        self.store = store
        self._vaults: dict[str, Vault] = {}

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The redact node. Detection is CPU-bound, so it runs in a worker thread."""
        text = check_text(state.get("document", ""), "the document")
        run_id = _run_id(state, config)
        vault = self.vault(run_id)
        with tool_span("pii_detect") as span:
            findings = await asyncio.to_thread(self.detector.detect, text) + vault.mentions(text)
            span.set_attribute(Attr.PII_FINDINGS, len(findings))
        redacted = pseudonymize(text, findings, vault)
        if self.store is not None:
            self.store.save(run_id, vault)
        verdict = classify(text, findings, self.rules)
        level = max(verdict.level, state.get("sensitivity_floor", verdict.level), key=lambda s: s.rank)
        chunks = [
            ChunkLevel(start=c.start, end=c.end, sensitivity=c.level, reasons=list(c.reasons))
            for c in classify_chunks(text, findings, self.rules)
        ]
        return {
            "run_id": run_id,
            "redacted": redacted,
            "sensitivity": level,
            "sensitivity_reasons": list(verdict.reasons) + ([] if level is verdict.level else ["the source's level"]),
            "chunks": chunks,
            "entity_counts": dict(Counter(f.entity_type for f in findings)),
            "warnings": list(verdict.warnings),
        }

    async def restore(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The restore node: real values back into ``answer``; unknown placeholders are reported."""
        if "answer" not in state:
            raise InputError("there is no answer to restore", fix="run the restore node after a node that answers")
        result = restore(state["answer"], self.vault(_run_id(state, config)))
        warnings = [f"{len(result.unrestored)} placeholder(s) in the answer had no value"] if result.unrestored else []
        return {"restored": result.text, "unrestored": list(result.unrestored), "warnings": warnings}

    def vault(self, run_id: str) -> Vault:
        """The run's vault (loaded from the store if there is one)."""
        if run_id not in self._vaults:
            self._vaults[run_id] = self.store.load(run_id) if self.store else Vault()
        return self._vaults[run_id]

    def forget(self, run_id: str) -> None:
        """Drop the run's vault from memory (a persisted one stays in the store): a long-lived
        process, a batch or a server, then holds only the vaults of the runs in progress."""
        self._vaults.pop(run_id, None)


def _run_id(state: RunState, config: RunnableConfig | None) -> str:
    """The state's run id, else the LangGraph thread id, else a new one."""
    if state.get("run_id"):
        return state["run_id"]
    thread = ((config or {}).get("configurable") or {}).get("thread_id")
    return str(thread) if thread else uuid.uuid4().hex
