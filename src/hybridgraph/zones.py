"""Trust zones of model endpoints and sensitivity levels of data (DESIGN.md §2)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Sensitivity", "TrustZone"]


class TrustZone(StrEnum):
    """Where an endpoint runs, and so who could see what is sent to it.

    ``local``: this machine or on-prem. ``private``: your own cloud account (VPC).
    ``public``: a third-party API.
    """

    LOCAL = "local"
    PRIVATE = "private"
    PUBLIC = "public"

    @property
    def rank(self) -> int:
        """0 for local, growing with exposure."""
        return _ZONE_ORDER.index(self)


class Sensitivity(StrEnum):
    """How sensitive a piece of data is, from ``public`` to ``restricted``."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """0 for public, growing with sensitivity."""
        return _SENSITIVITY_ORDER.index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Sensitivity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Sensitivity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Sensitivity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Sensitivity):
            return NotImplemented
        return self.rank < other.rank


_ZONE_ORDER = list(TrustZone)
_SENSITIVITY_ORDER = list(Sensitivity)
