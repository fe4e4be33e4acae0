"""PII detection, reversible pseudonymisation and restoration, all local.

``PiiDetector`` finds sensitive spans (Presidio plus recognizers tuned for business
documents); ``Vault`` maps each value to a consistent placeholder such as ``<PERSON_1>``;
``pseudonymize`` and ``restore`` apply and undo the mapping.
"""

from __future__ import annotations

from hybridgraph.tools.pii.findings import ENTITY_PREFIXES, Finding, resolve_overlaps
from hybridgraph.tools.pii.vault import Restored, Vault, pseudonymize, restore

__all__ = ["ENTITY_PREFIXES", "Finding", "Restored", "Vault", "pseudonymize", "resolve_overlaps", "restore"]
