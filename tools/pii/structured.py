"""Structured identifiers found by their rules, not by the formats of any one data set.

- Card numbers: ISO/IEC 7812 primary account numbers of 12 to 19 digits in any grouping, which pass
  the Luhn check and begin with a prefix a card scheme issues (``CARD_SCHEMES``).
- IBANs: a country code and check digits that pass the ISO 13616 mod-97 check, in any grouping.
- IP addresses: every IPv6 form RFC 4291 allows and RFC 5952 recommends (compressed, with leading
  zeros, mixed with IPv4, with a zone index), validated by ``ipaddress``.
- Obfuscated e-mail addresses: "john dot smith at example dot com", "jsmith [at] example [dot] co
  [dot] uk", "j.smith(at)example.org". The domain must end in a top-level domain of the public
  suffix list that tldextract ships.
- Identity document numbers named by their label: "Passport no. X1234567", "ID card number: ...",
  "driver's licence ...", "national insurance number ...".

Each is a Presidio recognizer, so it runs in the detector's single analysis pass.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator

import regex

from hybridgraph.tools.pii.cues import SpanRecognizer

__all__ = [
    "CARD_SCHEMES",
    "CardNumberRecognizer",
    "IbanCheckRecognizer",
    "IdDocumentRecognizer",
    "Ipv6Recognizer",
    "ObfuscatedEmailRecognizer",
    "iban_valid",
    "is_card_number",
    "luhn_valid",
]

#: (first prefix, last prefix) of the card schemes' issuer ranges (ISO/IEC 7812 IINs). Any length
#: from 12 to 19 digits is accepted for each: schemes add lengths over time, and a number that
#: passes the Luhn check in a scheme's range is treated as a card whatever its length.
CARD_SCHEMES: tuple[tuple[int, int], ...] = (
    (1, 1),  # UATP
    (2200, 2204),  # Mir
    (2221, 2720),  # Mastercard 2-series
    (300, 305),  # Diners Club
    (3095, 3095),
    (34, 34),  # American Express
    (36, 39),  # Diners Club, JCB (3528-3589)
    (35, 35),
    (4, 4),  # Visa
    (50, 50),  # Maestro, Verve, Dankort
    (51, 55),  # Mastercard
    (56, 69),  # Maestro, Discover, UnionPay, RuPay, Troy's 65
    (81, 82),  # UnionPay, RuPay
    (9792, 9792),  # Troy
)
# Separators are required between groups, so a run splits into groups one way only (no backtracking).
_DIGIT_RUN = re.compile(r"(?<![\w.,/\-])\d{1,19}(?:[ \-.\n]\d{1,19}){0,18}(?![\w/]|[.,\-]\d)")
_GROUP_SEP = re.compile(r"[ \-.\n]")


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """True if ``digits`` (digits only) is a valid primary account number: 12 to 19 digits, a
    scheme's prefix, and the Luhn check."""
    if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    return any(low <= int(digits[: len(str(low))]) <= high for low, high in CARD_SCHEMES)


class CardNumberRecognizer(SpanRecognizer):
    """Card numbers by ISO/IEC 7812 and Luhn, in any grouping. A run of digit groups too long to be
    one card ("4111 1111 1111 1111 12 26") is searched for the longest run of whole groups that is."""

    entity = "CREDIT_CARD"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """One result per card number."""
        for run in _DIGIT_RUN.finditer(text):
            span = _card_in(run.group(0))
            if span is not None:
                yield run.start() + span[0], run.start() + span[1], 0.95


def _card_in(run: str) -> tuple[int, int] | None:
    """The longest run of whole digit groups in ``run`` that is a card number, as offsets."""
    if sum(ch.isdigit() for ch in run) < 12:
        return None
    cuts = [0, *(m.start() for m in _GROUP_SEP.finditer(run)), len(run)]
    groups = [(cuts[i] + (i > 0), cuts[i + 1]) for i in range(len(cuts) - 1)]
    windows = [(a, b) for a in range(len(groups)) for b in range(a, len(groups))]
    for a, b in sorted(windows, key=lambda w: w[0] - w[1]):
        start, end = groups[a][0], groups[b][1]
        digits = re.sub(r"\D", "", run[start:end])
        if len(digits) > 19:
            continue
        if is_card_number(digits):
            return start, end
    return None


# Hex digits, colons and dots, with two colons at least; a zone index may follow ("%eth0").
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?:%[\w.\-]{1,16})?(?![\w:])"
)


class Ipv6Recognizer(SpanRecognizer):
    """IPv6 addresses in every textual form ``ipaddress`` accepts (RFC 4291, RFC 5952)."""

    entity = "IP_ADDRESS"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Each candidate that parses as an IPv6 address other than the unspecified ``::``."""
        for m in _IPV6_CANDIDATE.finditer(text):
            value = m.group(0).rstrip(".")
            try:
                address = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            if not address.is_unspecified:
                yield m.start(), m.start() + len(value), 0.9


_AT = r"(?:[ \t]*@[ \t]*|[ \t]*[(\[{<][ \t]*(?i:at)[ \t]*[)\]}>][ \t]*|[ \t]+(?i:at)[ \t]+)"
_DOT = r"(?:[ \t]*\.[ \t]*|[ \t]*[(\[{<][ \t]*(?i:dot)[ \t]*[)\]}>][ \t]*|[ \t]+(?i:dot)[ \t]+)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_LOCAL = r"[A-Za-z0-9_%+\-]+"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.@])(?P<local>{_LOCAL}(?:{_DOT}{_LOCAL}){{0,3}}){_AT}(?P<domain>{_LABEL}(?:{_DOT}{_LABEL}){{1,4}})(?!\w)"
)
_BRACKETED = re.compile(r"(?i)[(\[{<]\s*(?:at|dot)\s*[)\]}>]")
_SPOKEN_DOT = re.compile(r"(?i)\sdot\s")


@functools.cache
def _top_level_domains() -> frozenset[str]:
    """The last labels of the public suffix list tldextract ships (no network)."""
    import tldextract

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return frozenset(s.rsplit(".", 1)[-1].casefold() for s in extractor.tlds)


class ObfuscatedEmailRecognizer(SpanRecognizer):
    """E-mail addresses with "at" and "dot" spelled out or bracketed. Plain addresses are left to
    Presidio's recognizer; a match must spell something out and end in a real top-level domain."""

    entity = "EMAIL_ADDRESS"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Each spelled-out address, from the first character of its local part to its top-level domain."""
        tlds = _top_level_domains()
        for m in _OBFUSCATED_EMAIL.finditer(text):
            value = m.group(0)
            if not _BRACKETED.search(value) and not _SPOKEN_DOT.search(value):
                continue  # a plain address is Presidio's; "available at example.com" is no address
            last = re.split(_DOT, m.group("domain"))[-1]
            if last.casefold() in tlds and not last.isdigit():
                yield m.start(), m.end(), 0.85


# A document's label, then its number: at least five characters with a digit, up to twenty.
_ID_LABEL = (
    r"passport|id[ \t]?card|identity[ \t]card|identity[ \t]document|national[ \t]id(?:entity)?|"
    r"national[ \t]insurance|personal[ \t]id(?:entification)?|id|identification|driver['\u2019]?s[ \t]licen[cs]e|"
    r"driving[ \t]licen[cs]e|social[ \t]security|social[ \t]insurance|residence[ \t]permit|work[ \t]permit|"
    r"tax[ \t]id(?:entification)?|citizen(?:ship)?[ \t]card|voter[ \t]id"
)
_ID_NUMBER = regex.compile(
    rf"\b(?i:{_ID_LABEL})(?:[ \t]+(?i:card|document))?[ \t]*(?:(?i:no|nr|num|number|#|n°|nº)\.?)?[ \t]*[:#]?[ \t]*"
    r"\K(?=[A-Za-z0-9\-]*\d)(?P<number>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])|[ ](?=\d)){4,19})(?![\w\-])"
)


class IdDocumentRecognizer(SpanRecognizer):
    """Numbers of identity documents (passports, ID cards, licences, insurance numbers) named by the
    label before them; the label stays readable, the number becomes ``ID_NUMBER``."""

    entity = "ID_NUMBER"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Each labelled number."""
        yield from ((m.start(), m.end(), 0.85) for m in _ID_NUMBER.finditer(text))


# Two letters, two check digits, then 11 to 30 letters and digits in any grouping.
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \-\n]?[A-Z0-9]){11,30}\b")


def iban_valid(value: str) -> bool:
    """True if ``value`` (no separators) passes the ISO 13616 mod-97 check."""
    if not 15 <= len(value) <= 34 or not value.isalnum():
        return False
    moved = value[4:] + value[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


class IbanCheckRecognizer(SpanRecognizer):
    """IBANs by ISO 13616: a country code, check digits that pass mod 97, any grouping. Words in
    capitals after the number are not taken: the longest run of whole groups that checks out is."""

    entity = "IBAN_CODE"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """One result per IBAN."""
        for m in _IBAN_CANDIDATE.finditer(text):
            run = m.group(0)
            cuts = [len(run), *(g.start() for g in reversed(list(_GROUP_SEP.finditer(run))))]
            for cut in cuts:
                if iban_valid(re.sub(r"[ \-\n]", "", run[:cut])):
                    yield m.start(), m.start() + cut, 0.97
                    break
