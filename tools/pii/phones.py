"""Phone numbers by the numbering plans ``phonenumbers`` knows, in any grouping, with extensions.

A candidate is a run of digits with the punctuation phone numbers are written with (spaces,
hyphens, dots, slashes, an area code in parentheses), optionally after ``+`` or ``00`` and before
an extension (``x739``, ``ext. 4411``, ``#12``), holding 7 to 15 digits. It is a phone number when

- written internationally, it parses for the country its calling code names (every region
  ``phonenumbers`` knows) and is a possible number there (score 0.97); or
- written nationally, it is a valid number in one of ``REGIONS`` (score 0.75).

Dates, year ranges and amounts with thousands separators (commas or dots) are never phone numbers. The extension is
part of the finding, so nothing of the number is left. Scores are above the address layout's
(0.95 for an international number), which once took "0187 ext. 4411" for a street.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from hybridgraph.tools.pii.cues import SpanRecognizer

__all__ = ["REGIONS", "PhoneRuleRecognizer", "phone_score"]

#: The regions whose national formats are tried, most populous and most commercial first.
REGIONS = [
    "US",
    "GB",
    "CA",
    "AU",
    "NZ",
    "IE",
    "ZA",
    "IN",
    "DE",
    "FR",
    "IT",
    "ES",
    "PT",
    "NL",
    "BE",
    "LU",
    "CH",
    "AT",
    "SE",
    "NO",
    "DK",
    "FI",
    "IS",
    "PL",
    "CZ",
    "SK",
    "HU",
    "RO",
    "BG",
    "GR",
    "TR",
    "RU",
    "UA",
    "BR",
    "MX",
    "AR",
    "CL",
    "CO",
    "PE",
    "JP",
    "CN",
    "KR",
    "HK",
    "TW",
    "SG",
    "MY",
    "PH",
    "ID",
    "TH",
    "VN",
    "IL",
    "AE",
    "SA",
    "EG",
    "NG",
    "KE",
    "MA",
]
_CANDIDATE = re.compile(
    r"(?<![\w+/.,\-])(?P<number>(?:\+|00)?(?:\(\d{1,5}\)[ \t.\-]?)?\d[\d \t.\-/()]{4,22}\d)"
    r"(?P<ext>[ \t]*(?:x|ext\.?|extension|#)[ \t]*\d{1,6})?(?![\w/]|[.,\-]\d)",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|(?:19|20)\d\d[ \t]*[\-/][ \t]*(?:19|20)?\d\d")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def phone_score(number: str) -> float:
    """0.97 for a possible international number, 0.75 for a valid national one, else 0."""
    digits = re.sub(r"\D", "", number)
    if not 7 <= len(digits) <= 15 or _DATE.fullmatch(number.strip()) or _THOUSANDS.fullmatch(number.strip()):
        return 0.0
    if number.startswith(("+", "00")):
        international = "+" + digits[2:] if number.startswith("00") else "+" + digits
        try:
            parsed = phonenumbers.parse(international, None)
        except phonenumbers.NumberParseException:
            return 0.0
        return 0.97 if phonenumbers.is_possible_number(parsed) else 0.0
    for region in REGIONS:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return 0.75
    return 0.0


class PhoneRuleRecognizer(SpanRecognizer):
    """Phone numbers by the numbering plans, with their extensions (see the module's docstring)."""

    entity = "PHONE_NUMBER"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """One result per number, its extension included."""
        for m in _CANDIDATE.finditer(text):
            score = phone_score(m.group("number"))
            if score:
                yield m.start(), m.end(), score
