"""The contract review's local steps that need no model: redact the contract, find its clauses
per category, and check that every quote is the contract's own words.

``ClauseFinder`` splits the contract along its sections and clauses and ranks the pieces for
each category with BM25 against the category's phrasings (``clause-categories.yaml``). The best
piece is the category's clause when its score, per query word, reaches ``min_score``; a
category whose best piece falls short is reported ``not_found``. Quotes are the contract's own
text by construction; ``QuoteVerifier`` still checks every quote against the document, because
findings may come from other agents too.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.state import Finding, RunState
from hybridgraph.textinput import check_text
from hybridgraph.tools.checklist import ChecklistRule
from hybridgraph.tools.excerpts import rank_pieces
from hybridgraph.tools.sparse import Bm25Encoder

__all__ = ["ClauseFinder", "QuoteVerifier", "RedactStep", "quote_location"]


class RedactStep(PipelineAgent):
    """The redactor as a pipeline step: classify and pseudonymise the document (the run's vault
    is the pipeline's, so every later step's placeholders match)."""

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Redact ``document``."""
        return await self.context.redactor(state, config)


class FinderConfig(BaseModel):
    """``clause-finder`` settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: Literal["categories", "checklist"] = Field(
        default="categories",
        description="categories: the clause categories; checklist: each statement of the pipeline's checklist",
    )
    categories: tuple[str, ...] = Field(default=(), description="category names; empty: all shipped categories")
    piece_chars: int = Field(default=1200, ge=200, le=6000, description="the size of a clause piece")
    min_score: float = Field(default=0.8, ge=0.0, description="BM25 score per query word a clause must reach")


class ClauseFinder(PipelineAgent):
    """Finds the clause of every category (see the module docstring); writes ``findings``."""

    Config = FinderConfig
    config: FinderConfig

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """One finding per category: the clause with its location, or ``not_found``."""
        text = check_text(state.get("document", ""), "the document")
        if self.config.items == "checklist":
            return {"findings": [self.find_statement(text, rule) for rule in self.context.checklist.rules]}
        return {"findings": [self.find(text, name, query) for name, query in self.categories()]}

    def find_statement(self, text: str, rule: ChecklistRule) -> Finding:
        """The passage most about a checklist statement (its text is the query); "" when none is."""
        found = self.find(text, f"{rule.id} {rule.title}", f"{rule.title}. {rule.text}")
        return Finding(**{**found, "rule": rule.id, "severity": rule.severity, "status": ""})

    def categories(self) -> list[tuple[str, str]]:
        """(name, query) of each category to look for."""
        from hybridgraph.tools.knowledge import clause_categories

        known = {c.name.lower(): c for c in clause_categories()}
        names = self.config.categories or tuple(c.name for c in clause_categories())
        return [(known[n.lower()].name, known[n.lower()].query) if n.lower() in known else (n, n) for n in names]

    def find(self, text: str, category: str, query: str) -> Finding:
        """The best clause of ``category`` in ``text``, if it scores high enough."""
        pieces = rank_pieces(text, query, self.config.piece_chars)
        words = max(1, len(Bm25Encoder().terms(query)))
        if not pieces or pieces[0].score / words < self.config.min_score:
            return Finding(category=category, status="not_found", quote="", start=0, end=0, score=0.0, review="")
        best = pieces[0]
        start, end = _trimmed(text, best.start, best.end)
        return Finding(
            category=category, quote=text[start:end], start=start, end=end, score=best.score / words, status=""
        )


class QuoteVerifier(PipelineAgent):
    """Checks that every finding's quote is ``document[start:end]``, or appears word for word
    elsewhere (then its location is corrected); a quote that does not is marked for review."""

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Rewrites ``findings`` with checked locations."""
        document = state.get("document", "")
        return {"findings": [self.check(document, f) for f in state.get("findings", [])]}

    @staticmethod
    def check(document: str, finding: Finding) -> Finding:
        """The finding, with its location confirmed or fixed, or marked as not verbatim."""
        quote = finding.get("quote", "")
        if not quote or document[finding.get("start", 0) : finding.get("end", 0)] == quote:
            return finding
        where = quote_location(document, quote)
        if where is not None:
            return Finding(**{**finding, "start": where[0], "end": where[1]})
        note = "the quote is not in the contract word for word; check it by hand"
        return Finding(**{**finding, "status": "needs_review", "review": note})


def quote_location(document: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``document``, ignoring differences in spacing; None if it is not."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, document)
    return (match.start(), match.end()) if match else None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved in past surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
