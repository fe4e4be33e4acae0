"""Classification at entry: a document's (or chunk's) ``Sensitivity`` from what was found in it.

Rules are configuration, not code: which entity types and which keywords raise the level.
The result lists its reasons by entity type and configured keyword, never by value, so it
can go into run state, traces and the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.tools.pii.findings import Finding
from hybridgraph.yamlconfig import load_yaml_model
from hybridgraph.zones import Sensitivity

__all__ = ["Classification", "ClassificationRules", "classify"]

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

    @classmethod
    def from_file(cls, path: Path | str) -> ClassificationRules:
        """Rules from YAML; errors carry file:line:column."""
        return load_yaml_model(path, cls)


@dataclass(frozen=True)
class Classification:
    """A sensitivity level and why (entity types and configured keywords only)."""

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
    return Classification(level, tuple(reasons))
