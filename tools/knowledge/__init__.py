"""Knowledge shipped with hybridgraph: documents ready to ingest (``hybridgraph ingest --builtin
NAME -c NAME``), and the clause categories a contract review looks for (``clause_categories``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridgraph.errors import InputError
from hybridgraph.yamlconfig import load_yaml_model

__all__ = ["BUILTIN", "ClauseCategory", "builtin_path", "clause_categories", "opens_with_definition"]

_HERE = Path(__file__).resolve().parent
#: Shipped documents by name.
BUILTIN: dict[str, Path] = {
    name: _HERE / f"{name}.md" for name in ("procurement-checklist", "nda-checklist", "dpa-checklist")
}


def builtin_path(name: str) -> Path:
    """The file of a shipped document."""
    if name not in BUILTIN:
        raise InputError(f"there is no built-in document '{name}'", fix=f"use one of: {', '.join(BUILTIN)}")
    return BUILTIN[name]


class ClauseCategory(BaseModel):
    """A kind of clause a review looks for, the checklist rules that judge it, and how to find it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    rules: tuple[str, ...] = ()
    phrasings: tuple[str, ...] = Field(min_length=1, description="how contracts word such a clause")
    cues: tuple[str, ...] = Field(
        default=(),
        description="words a clause of this kind always has (regular expressions, any one will do); "
        "empty: no such condition",
    )
    min_score: float | None = Field(
        default=None, ge=0.0, description="the score its clause must reach in hybrid ranking; default: the finder's"
    )
    max_clauses: int | None = Field(
        default=None, ge=1, description="the most clauses reported for it; default: the finder's per_category"
    )
    measure: str | None = Field(
        default=None,
        description="a rule-check measure (tools/rulechecks.py) that reads this kind's value, e.g. 'renewal notice': "
        "a piece where it reads one ranks higher (the finder's measure_bonus)",
    )
    needs_measure: bool = Field(default=False, description="a piece where the measure reads nothing is no candidate")

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, measure: str | None) -> str | None:
        from hybridgraph.tools.rulechecks import MEASURES, measures_hint

        if measure is not None and measure not in MEASURES:
            raise ValueError(f"unknown measure '{measure}'; {measures_hint(measure)}")
        return measure

    @property
    def cue(self) -> re.Pattern[str] | None:
        """``cues`` as one case-insensitive pattern (None when there are none)."""
        return _pattern(self.cues) if self.cues else None

    @property
    def query(self) -> str:
        """The phrasings as one search query (their BM25 scores add up)."""
        return "\n".join(self.phrasings)


@functools.lru_cache(maxsize=64)
def _pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{c})" for c in cues), re.IGNORECASE)


#: A definitions heading, or a defined term ('"Change of Control" means'). Plural only: "the
#: definition of Losses" in an operative clause is no definitions section.
_DEFINITION = re.compile(
    r"\bdefinitions\b|[\"“][^\"”]{2,80}[\"”]\s*(?:shall\s+)?(?:means?|has the meaning|shall have the meaning)\b",
    re.IGNORECASE,
)
#: How far into a passage its opening reaches, in characters.
OPENING_CHARS = 200


def opens_with_definition(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` opens with definitions: a passage of a definitions section, or
    one that defines a term, is not the clause that does something. On CUAD, a clause category's
    search and the clause finder both find the operative clause more often without them (the
    definition of "Change of Control" is not the clause that lets a party terminate on one)."""
    stop = start + OPENING_CHARS if end is None else min(end, start + OPENING_CHARS)
    return _DEFINITION.search(text, start, stop) is not None


class _Categories(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: tuple[ClauseCategory, ...]


@functools.cache
def clause_categories() -> tuple[ClauseCategory, ...]:
    """The ten procurement-risk categories, from ``clause-categories.yaml``."""
    return load_yaml_model(_HERE / "clause-categories.yaml", _Categories).categories
