"""The contract review's local steps that need no model: redact the contract, find its clauses
per category, and check that every quote is the contract's own words.

``ClauseFinder`` splits the contract along its sections and clauses and scores the pieces for
each category (``clause-categories.yaml``): BM25 against the category's phrasings, per query
word, plus the mean cosine similarity of the piece to the phrasings under the local embedding
model (hybrid ranking; lexical only when that model is not installed). A piece that lacks all
of a category's ``cues``, or opens with definitions, is no candidate. The best piece is the
category's clause when its score reaches ``min_score`` (the category's own, if it sets one); a
close second (``also_within`` of the best) is reported too, since contracts often split a
clause (a cap and its exceptions), unless the category allows one clause (``max_clauses``). A
category with no piece good enough is ``not_found``. On all 408 CUAD contracts this took the
mean precision and recall over the ten categories from 0.478 and 0.708 (BM25 alone) to 0.521
and 0.814 (``bench/cuad_eval.py``).
Quotes are the contract's own text by construction; ``QuoteVerifier`` still checks every quote
against the document, because findings may come from other agents too.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal, Optional

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.state import Finding, RunState
from hybridgraph.textinput import check_text
from hybridgraph.tools.checklist import ChecklistRule
from hybridgraph.tools.excerpts import Piece, lexical_scores, semantic_scores
from hybridgraph.tools.knowledge import ClauseCategory, clause_categories, opens_with_definition
from hybridgraph.tools.rulechecks import reads
from hybridgraph.tools.sparse import StemmedBm25Encoder

__all__ = ["ClauseFinder", "QuoteVerifier", "RedactStep", "quote_location"]

#: The score a clause must reach, by ranking (chosen on CUAD; see ``bench/cuad_eval.py``).
HYBRID_MIN_SCORE, LEXICAL_MIN_SCORE = 1.2, 0.8
#: A further clause of a category has at least this many words (a heading alone is no clause).
MIN_FURTHER_WORDS = 8


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
    ranking: Literal["hybrid", "lexical"] = Field(
        default="hybrid",
        description="hybrid: BM25 plus the local embedding model's similarity (lexical when that model is "
        "not installed); lexical: BM25 only. Checklist statements are ranked the same way, their text the phrasing",
    )
    min_score: float | None = Field(
        default=None,
        ge=0.0,
        description="the score a clause must reach, for every category; default: the category's own "
        f"(clause-categories.yaml), else {HYBRID_MIN_SCORE}, in hybrid ranking; {LEXICAL_MIN_SCORE} lexical",
    )
    per_category: int = Field(
        default=2, ge=1, le=10, description="the most clauses reported per category (less where it sets max_clauses)"
    )
    also_within: float = Field(
        default=0.9, ge=0.0, le=1.0, description="a further clause is reported when it scores this share of the best"
    )
    measure_bonus: float = Field(
        default=0.3,
        ge=0.0,
        le=5.0,
        description="added to the score of a piece where the category's measure reads a value (a notice period, "
        "a renewal term, a governing law)",
    )


class ClauseFinder(PipelineAgent):
    """Finds the clauses of every category (see the module docstring); writes ``findings``."""

    Config = FinderConfig
    config: FinderConfig

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The clauses of each category, with their locations, or one ``not_found`` finding.
        Ranking is CPU-bound (seconds for a long contract), so it runs in a worker thread."""
        text = check_text(state.get("document", ""), "the document")
        if self.config.items == "checklist":
            rules = self.context.checklist.rules
            findings = await asyncio.to_thread(lambda: [self.find_statement(text, r) for r in rules])
        else:
            findings = await asyncio.to_thread(lambda: [f for c in self.categories() for f in self.find(text, c)])
        if self.config.ranking == "hybrid" and not semantic_ranking_available():
            warning = (
                "passages were ranked by their words only: the local embedding model is not installed "
                "(pip install -e '.[embedded]')"
            )
            return {"findings": findings, "warnings": [warning]}
        return {"findings": findings}

    def find_statement(self, text: str, rule: ChecklistRule) -> Finding:
        """The passage most about a checklist statement (its text is the query and the phrasing); ""
        when none is. On ContractNLI's 61 dev NDAs, hybrid ranking put the labelled evidence in the
        chosen passage for 68% of the stated statements against 63% by BM25 alone, and let 82%
        of them reach the score a passage must have, against 66% (``bench/contractnli_eval.py``)."""
        statement = ClauseCategory(name=f"{rule.id} {rule.title}", phrasings=(f"{rule.title}. {rule.text}",))
        found = self.find(text, statement)[0]
        return Finding(**{**found, "rule": rule.id, "severity": rule.severity, "status": ""})

    def categories(self) -> list[ClauseCategory]:
        """The categories to look for (a name that is not a shipped category is its own phrasing)."""
        known = {c.name.lower(): c for c in clause_categories()}
        names = self.config.categories or tuple(c.name for c in clause_categories())
        return [known.get(n.lower()) or ClauseCategory(name=n, phrasings=(n,)) for n in names]

    def find(self, text: str, category: ClauseCategory) -> list[Finding]:
        """The clauses of ``category`` in ``text`` that score high enough, best first (at most
        ``per_category`` or the category's ``max_clauses``, each within ``also_within`` of the
        best), or one ``not_found`` finding."""
        pieces, floor = self.ranked(text, category)
        if not pieces or pieces[0].score < floor:
            return [Finding(category=category.name, status="not_found", quote="", start=0, end=0, score=0.0, review="")]
        best = pieces[0].score
        bar = max(floor, self.config.also_within * best)
        further = [p for p in pieces[1:] if p.score >= bar and _words(text, p) >= MIN_FURTHER_WORDS]
        most = min(self.config.per_category, category.max_clauses or self.config.per_category)
        chosen = [pieces[0], *further[: most - 1]]
        findings = []
        for piece in chosen:
            start, end = _trimmed(text, piece.start, piece.end)
            findings.append(
                Finding(
                    category=category.name, quote=text[start:end], start=start, end=end, score=piece.score, status=""
                )
            )
        return findings

    def ranked(self, text: str, category: ClauseCategory) -> tuple[list[Piece], float]:
        """The candidate pieces for ``category``, best first, and the score a clause must reach
        (``min_score`` if set, else the category's own in hybrid ranking, else the default).

        A piece's score is its BM25 score per query word, plus, in hybrid ranking, its mean
        cosine similarity to the category's phrasings. A category's ``cues`` must appear in it, and
        it must not open with definitions (``opens_with_definition``). Where
        the category has a ``measure`` that reads a value in the piece, ``measure_bonus`` is added
        (with ``needs_measure``, a piece where it reads none is dropped)."""
        words = max(1, len(StemmedBm25Encoder().terms(category.query)))
        scored = [
            Piece(p.start, p.end, p.score / words)
            for p in lexical_scores(text, category.query, self.config.piece_chars)
        ]
        hybrid = self.config.ranking == "hybrid" and semantic_ranking_available()
        if hybrid:
            similar = semantic_scores(text, category.phrasings, self.config.piece_chars)
            scored = [Piece(p.start, p.end, p.score + s) for p, s in zip(scored, similar, strict=True)]
        else:
            scored = [p for p in scored if p.score > 0]  # no shared word: never a candidate
        if category.cue is not None:
            scored = [p for p in scored if category.cue.search(text, p.start, p.end)]
        scored = [p for p in scored if not opens_with_definition(text, p.start, p.end)]
        if category.measure is not None:  # the kind's value is there: "180 days' notice before the end of the term"
            read = [(p, reads(category.measure, text[p.start : p.end])) for p in scored]
            bonus = self.config.measure_bonus
            scored = [Piece(p.start, p.end, p.score + bonus * m) for p, m in read if m or not category.needs_measure]
        floor = self.config.min_score
        if floor is None:
            own = category.min_score if category.min_score is not None else HYBRID_MIN_SCORE
            floor = own if hybrid else LEXICAL_MIN_SCORE
        return sorted(scored, key=lambda p: (-p.score, p.start)), floor


def semantic_ranking_available() -> bool:
    """Whether the local embedding model (the embedded extra) is installed."""
    from hybridgraph.tools.embeddings import local_model_installed

    return local_model_installed()


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


def _words(text: str, piece: Piece) -> int:
    return len(text[piece.start : piece.end].split())


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved in past surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
