"""Classification at entry: a document's (or chunk's) ``Sensitivity`` from what was found in it.

Rules are configuration, not code: which entity types and which keywords raise the level.
The result lists its reasons by entity type and configured keyword, never by value, so it
can go into run state, traces and the audit log.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.tools.pii.findings import Finding
from hybridgraph.tools.pii.language import looks_english
from hybridgraph.yamlconfig import load_yaml_model
from hybridgraph.zones import Sensitivity

__all__ = [
    "ChunkClassification",
    "Classification",
    "ClassificationRules",
    "classify",
    "classify_chunks",
    "classify_spans",
]

_R, _C, _I = Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL, Sensitivity.INTERNAL


class ClassificationRules(BaseModel):
    """Which findings and keywords raise a text's sensitivity, and the level of a text with neither."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Sensitivity = Field(default=_I, description="level of a text with no finding and no keyword")
    entity_levels: dict[str, Sensitivity] = Field(
        default_factory=lambda: {
            "CREDIT_CARD": _R,
            "IBAN_CODE": _R,
            "US_SSN": _R,
            "US_ITIN": _R,
            "US_PASSPORT": _R,
            "US_BANK_NUMBER": _R,
            "BANK_ACCOUNT": _R,
            "MEDICAL_LICENSE": _R,
            "CRYPTO": _R,
            "ID_NUMBER": _R,
            "PERSON": _C,
            "EMAIL_ADDRESS": _C,
            "PHONE_NUMBER": _C,
            "STREET_ADDRESS": _C,
            "IP_ADDRESS": _C,
            "SWIFT_CODE": _C,
            "VAT_ID": _C,
            "TAX_ID": _C,
            "CONFIDENTIAL_TERM": _C,
            "ORGANIZATION": _I,
            "URL": _I,
        }
    )
    keywords: dict[str, Sensitivity] = Field(
        default_factory=lambda: {
            "strictly confidential": _R,
            "trade secret": _R,
            "attorney-client privilege": _R,
            "privileged and confidential": _R,
            "restricted": _R,
            "top secret": _R,
            "confidential": _C,
            "do not distribute": _C,
            "not for distribution": _C,
            "internal use only": _I,
            "internal only": _I,
        }
    )

    unsupported_language: Sensitivity = Field(
        default=_R,
        description="level of a text the detector's model cannot read (it is not English); restricted keeps it local",
    )

    @classmethod
    def from_file(cls, path: Path | str) -> ClassificationRules:
        """Rules from YAML; errors carry file:line:column."""
        return load_yaml_model(path, cls)


@dataclass(frozen=True)
class Classification:
    """A sensitivity level, why (entity types and configured keywords only), and warnings for the user."""

    level: Sensitivity
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChunkClassification:
    """The classification of ``text[start:end]``, one piece of a document."""

    start: int
    end: int
    level: Sensitivity
    reasons: tuple[str, ...]


def classify(text: str, findings: list[Finding], rules: ClassificationRules | None = None) -> Classification:
    """The highest level any finding or keyword in ``text`` calls for, else the rules' default."""
    rules = rules or ClassificationRules()
    level, reasons = rules.default, []
    for kind in sorted({f.entity_type for f in findings}):
        found = rules.entity_levels.get(kind)
        if found is not None:
            level = max(level, found)
            reasons.append(f"{kind} → {found.value}")
    lowered = text.casefold()
    for keyword, found in rules.keywords.items():
        if re.search(rf"\b{re.escape(keyword.casefold())}\b", lowered):
            level = max(level, found)
            reasons.append(f"keyword '{keyword}' → {found.value}")
    if looks_english(text):
        return Classification(level, tuple(reasons))
    level = max(level, rules.unsupported_language)
    reasons.append(f"language not supported by the detector → {rules.unsupported_language.value}")
    warning = (
        "the text does not look like English, which the PII detector was trained on, so names may be missed; "
        f"it is classified {rules.unsupported_language.value}"
    )
    return Classification(level, tuple(reasons), (warning,))


#: Documents are classified piece by piece, in chunks of about this many characters.
CHUNK_CHARS = 2_000


def classify_chunks(
    text: str, findings: list[Finding], rules: ClassificationRules | None = None, size: int = CHUNK_CHARS
) -> list[ChunkClassification]:
    """Each chunk's level from the findings inside it. Chunks end at a paragraph or line break
    where one falls in the second half of ``size``, so a clause is rarely cut."""
    return classify_spans(text, findings, _pieces(text, size), rules)


def classify_spans(
    text: str, findings: list[Finding], spans: list[tuple[int, int]], rules: ClassificationRules | None = None
) -> list[ChunkClassification]:
    """The level of each ``text[start:end]``, from the findings that start inside it."""
    ordered = sorted(findings)
    starts = [f.start for f in ordered]
    chunks = []
    for start, end in spans:
        inside = ordered[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]
        verdict = classify(text[start:end], inside, rules)
        chunks.append(ChunkClassification(start, end, verdict.level, verdict.reasons))
    return chunks


def _pieces(text: str, size: int) -> list[tuple[int, int]]:
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n\n", start + size // 2, end), text.rfind("\n", start + size // 2, end))
            end = cut + 1 if cut > start else end
        pieces.append((start, end))
        start = end
    return pieces
