"""``RetrieverAgent``: the LangGraph node that finds the knowledge a step needs.

It searches a Qdrant collection for the state's ``query``, a text, several phrasings of one
need, or a ``Need`` (a clause category's, with its cues: ``Need.category(NAME)``; hybrid by
default: local embeddings and BM25, fused; see ``tools/retrieval.py``), and
writes the top-k passages with scores and sources into ``passages``. Passages more sensitive
than the consumer may receive (``max_sensitivity``, e.g. ``internal`` when the result may go
to a public-zone model) are filtered out in the search itself, so they never enter the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.errors import HybridGraphError, InputError
from hybridgraph.state import Fault, RetrievedPassage, RunState
from hybridgraph.telemetry.keys import Attr
from hybridgraph.telemetry.spans import mark_error, tool_span
from hybridgraph.tools.embeddings import Embedder
from hybridgraph.tools.retrieval import Need, Query, Searcher, SearchMode, phrasings
from hybridgraph.tools.vectorstore import QdrantStore
from hybridgraph.zones import Sensitivity

__all__ = ["RetrieverAgent"]


class RetrieverAgent:
    """Top-k passages for the state's query from one collection, within a sensitivity ceiling."""

    def __init__(
        self,
        store: QdrantStore,
        embedder: Embedder,
        collection: str,
        *,
        k: int = 5,
        max_sensitivity: Sensitivity | None = None,
        where: Mapping[str, str | int] | None = None,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> None:
        self.searcher = Searcher(store, embedder, mode)
        self.collection = collection
        self.k, self.max_sensitivity, self.where = k, max_sensitivity, dict(where or {})

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The retrieve node: reads ``query``, writes ``passages``."""
        asked = state.get("query", "")
        try:
            query: Query = phrasings(asked)  # checked here, for the error's fix
        except InputError:
            fix = "set 'query' (a text, or a list of phrasings of one need) in the state before the retrieve node"
            raise InputError("the retriever has no query", fix=fix) from None
        if isinstance(asked, Need):  # its cues and demotions go with it
            query = asked
        with tool_span("vector_search", {Attr.SEARCH_MODE: self.searcher.mode.value}) as span:
            try:
                hits = await self.searcher.search(
                    self.collection, query, k=self.k, where=self.where, max_sensitivity=self.max_sensitivity
                )
            except InputError:
                raise
            except HybridGraphError as exc:  # degrade: the run goes on without company rules, and says so
                mark_error(span, exc)
                note = f"retrieval from '{self.collection}' failed, so the step ran without context: {exc.message}"
                error = type(exc).__name__
                fault = Fault(
                    step="retrieve", endpoint="qdrant", error=error, message=exc.message, attempt=0, outage=True
                )
                return {"passages": [], "warnings": [note], "faults": [fault]}
            span.set_attribute(Attr.SEARCH_HITS, len(hits))
        passages = [
            RetrievedPassage(
                text=h.passage.text,
                source=h.passage.source,
                start=h.passage.start,
                end=h.passage.end,
                section=h.passage.section,
                sensitivity=h.passage.sensitivity,
                score=h.score,
            )
            for h in hits
        ]
        return {"passages": passages}
