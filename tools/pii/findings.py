"""A detected sensitive span, and how overlapping detections are resolved."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

__all__ = ["ENTITY_PREFIXES", "Finding", "normal_form", "overlaps_any", "resolve_overlaps"]

#: Placeholder prefix per entity type: ``ORGANIZATION`` becomes ``<ORG_1>``.
ENTITY_PREFIXES: dict[str, str] = {
    "PERSON": "PERSON",
    "ORGANIZATION": "ORG",
    "LOCATION": "LOCATION",
    "STREET_ADDRESS": "ADDRESS",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "SWIFT_CODE": "BIC",
    "US_SSN": "SSN",
    "US_ITIN": "ITIN",
    "US_PASSPORT": "PASSPORT",
    "US_BANK_NUMBER": "ACCOUNT",
    "BANK_ACCOUNT": "ACCOUNT",
    "VAT_ID": "VAT",
    "TAX_ID": "TAXID",
    "IP_ADDRESS": "IP",
    "URL": "URL",
    "CRYPTO": "CRYPTO",
    "MEDICAL_LICENSE": "LICENSE",
    "ID_NUMBER": "ID",
    "NRP": "NRP",
    "CONFIDENTIAL_TERM": "TERM",
}


def normal_form(value: str) -> str:
    """A value as compared for equality: case folded, runs of whitespace made one space.
    The vault gives equal values one placeholder; the detector finds every mention of a name."""
    return " ".join(value.split()).casefold()


@dataclass(frozen=True, order=True)
class Finding:
    """A sensitive span ``text[start:end]`` of ``entity_type``, with the detector's confidence."""

    start: int
    end: int
    entity_type: str
    score: float

    @property
    def prefix(self) -> str:
        """The placeholder prefix for this entity type."""
        return ENTITY_PREFIXES.get(self.entity_type, self.entity_type)

    def overlaps(self, other: Finding) -> bool:
        """True if the two spans share at least one character."""
        return self.start < other.end and other.start < self.end

    def shifted(self, offset: int) -> Finding:
        """The same finding with offsets moved by ``offset`` (chunk to document)."""
        return Finding(self.start + offset, self.end + offset, self.entity_type, self.score)


def overlaps_any(disjoint: list[Finding], starts: list[int], finding: Finding) -> bool:
    """True if ``finding`` overlaps one of ``disjoint`` (sorted, non-overlapping spans whose
    ``start`` values are ``starts``). Only the two neighbours can overlap: O(log n)."""
    i = bisect.bisect_left(starts, finding.start)
    return (i > 0 and disjoint[i - 1].end > finding.start) or (i < len(disjoint) and disjoint[i].start < finding.end)


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the best of each group of overlapping findings: highest score, then longest span.

    The result is sorted by position and has no overlaps, so it can be substituted directly.
    Kept spans never overlap, so each candidate is checked against its two neighbours only:
    O(n log n), which matters for megabyte documents with tens of thousands of findings.
    """
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []  # sorted by start, pairwise disjoint
    starts: list[int] = []
    for finding in ranked:
        if not overlaps_any(kept, starts, finding):
            i = bisect.bisect_left(starts, finding.start)
            kept.insert(i, finding)
            starts.insert(i, finding.start)
    return kept
