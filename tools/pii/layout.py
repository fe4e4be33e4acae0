"""Postal address blocks and their addressee lines, found by layout rather than by words.

An address written as a block ("78 Camiño Ancho 91 / Suite 286 / El Tornadizo / Gabon 66298")
is identified by its grammar: a street line that starts with a house number, optional unit and
locality lines, and a postal code at the end. Lines are separated by newlines, runs of spaces or
the bullets and markers that mail merges and chat exports put there (``>``, ``???``, ``\\,``).
The whole block becomes one finding, so its building number, city and postal code are
redacted together; the short lines right above any address (the addressee's name and company,
as in a letterhead or a signature block) are reported as well.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from hybridgraph.tools.pii.findings import Finding
from hybridgraph.tools.pii.recognizers import UNIT_WORDS

__all__ = ["address_blocks", "addressee_lines", "coordinated_names"]

_WORD = r"[^\W\d_][\w'\u2019.\-]*"
# One line break of a block: newlines, bullets or markers, a comma, or a run of spaces. Words within
# a line are separated by one space. Both are written so that a run of whitespace can be matched in
# one way only: these patterns run over megabyte contracts, where ambiguity means backtracking.
_SEP = r"(?:[ \t]*(?:(?:\n|\?\?\?|\\,|>|,)[ \t]*)+|[ \t]{2,})"
_SP = r"[ \t]"
_NUMBER = r"\d{1,5}[a-zA-Z]?\.?"
# "78 Camiño Ancho 91", "95 55 Halsey Road", "19 pierre delannoyplaats 211", "P.O. Box 101".
# The street's first word is never a phone extension's ("555-0187 ext. 4411" is no street).
_STREET = (
    rf"(?:\d{{1,5}}{_SP})?{_NUMBER}{_SP}(?!(?i:ext|extension|x)\b){_WORD}(?:{_SP}{_WORD}){{0,5}}(?:{_SP}{_NUMBER})?"
)
_UNIT = rf"(?i:{UNIT_WORDS})[ \t]?#?[ \t]?\d{{1,5}}[a-zA-Z]?"
_LOCALITY = rf"{_WORD}(?:{_SP}{_WORD}){{0,5}}(?:{_SP}\d{{1,3}}\b)?"
# Four to six digits that are not a year, or a UK/Canadian postcode.
_POSTCODE = r"(?:(?!(?:19|20)\d\d\b)\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}|[A-Z]\d[A-Z][ ]\d[A-Z]\d)"
_BLOCK = re.compile(
    rf"(?<![\w.,])(?P<street>{_STREET})(?:{_SEP}{_UNIT})?(?:{_SEP}{_LOCALITY}){{0,3}}?(?:{_SEP}|{_SP})"
    rf"(?P<postcode>{_POSTCODE})(?![\w-])"
)
# A street after a cue, with the locality after a comma: "lives at 87 Jakobi 69, Laane".
_CUED_STREET = re.compile(
    rf"\b(?i:address(?:[ \t]+is)?:?|lives?[ \t]+at|located[ \t]+at|is[ \t]+at|moved[ \t]+to|sent[ \t]+to|"
    rf"arrived[ \t]+at|deliver(?:ed)?[ \t]+to|ship(?:ped)?[ \t]+to)[ \t\n]+"
    rf"(?P<street>{_STREET}(?:,{_SP}?{_LOCALITY})?)"
)
_ADDRESSEE_LINE = re.compile(rf"{_WORD}(?:[ \t]+(?:{_WORD}|&)){{0,4}}")
_LINE_BREAKS = re.compile(r"[ \t]*(?:(?:\n|\?\?\?|>)[ \t]*)+|[ \t]{2,}")


def address_blocks(text: str) -> list[Finding]:
    """Address blocks, and streets named after a cue ("lives at ..."), as ``STREET_ADDRESS``.

    A block outranks the per-line findings inside it, which would otherwise leave the
    building number or the postal code in the clear.
    """
    findings = [Finding(m.start(), m.end(), "STREET_ADDRESS", 0.95) for m in _BLOCK.finditer(text)]
    cued = _CUED_STREET.finditer(text)
    findings += [Finding(m.start("street"), m.end("street"), "STREET_ADDRESS", 0.9) for m in cued]
    return findings


def addressee_lines(text: str, address_starts: list[int], most: int = 3) -> list[Finding]:
    """Up to ``most`` short, digit-free lines directly above each address (``ORGANIZATION``):
    the addressee's name and company in a letterhead or a signature block; and a capitalised name
    right before the address on its own line, followed by a comma ("Weeks-Rivas, 50 Massbyntie 27")."""
    found: list[Finding] = []
    for start in sorted(set(address_starts)):
        start = _line_start(text, start)
        found += _named_before(text, start)
        head_start = max(0, start - 240)
        breaks = list(_LINE_BREAKS.finditer(text, head_start, start))
        if not breaks or breaks[-1].end() != start:
            continue
        bounds = [head_start if head_start == 0 else None] + [b.end() for b in breaks]
        for i in range(len(breaks) - 1, max(-1, len(breaks) - 1 - most), -1):
            line_start, line_end = bounds[i], breaks[i].start()
            if line_start is None or _ADDRESSEE_LINE.fullmatch(text, line_start, line_end) is None:
                break
            found.append(Finding(line_start, line_end, "ORGANIZATION", 0.5))
    return found


# A house number before an address the recognizers found from its street name ("63 Ommerweg 159").
_HOUSE_NUMBER = re.compile(r"\d{1,5}[a-zA-Z]?[ \t]+$")
# A name written on the address's own line before it: "Weeks-Rivas, 50 Massbyntie 27".
_NAME_BEFORE = re.compile(r"(?<![\w'\u2019\-])[A-Z][\w&'\u2019.\-]*(?:[ ][A-Z][\w&'\u2019.\-]*){0,3},[ \t]*$")


def _line_start(text: str, start: int) -> int:
    """Where an address begins, its house number included."""
    number = _HOUSE_NUMBER.search(text, max(0, start - 8), start)
    return number.start() if number is not None else start


def _named_before(text: str, start: int) -> list[Finding]:
    """The capitalised name directly before an address on its line, followed by a comma."""
    name = _NAME_BEFORE.search(text, max(0, start - 80), start)
    if name is None:
        return []
    end = text.rindex(",", name.start(), start)
    return [Finding(name.start(), end, "ORGANIZATION", 0.5)]


_TITLED_ITEM = r"[A-Z][\w'\u2019\-]+(?: [A-Z][\w'\u2019\-]+){0,3}"
_LOWER_ITEM = r"[a-zà-öø-ÿ][\w'\u2019\-]+"
#: "Hans, Linda, Amber and Brendan", "Egede and Walker": items of one case, joined by commas and a conjunction.
_LISTS = [
    re.compile(rf"\b(?:{item}, ){{0,8}}{item},? (?:and|or|&) {item}(?: (?:and|or|&) {item})?\b")
    for item in (rf"(?:{_TITLED_ITEM})", rf"(?:{_LOWER_ITEM})")
]
_ITEM_SPLIT = re.compile(r", (?:(?:and|or|&) )?|,? (?:and|or|&) ")
_LISTED = ("PERSON", "ORGANIZATION")


def coordinated_names(text: str, findings: list[Finding]) -> list[Finding]:
    """The other items of a list whose item is a person or organisation already found: in
    "They had 4: Hans, Linda, Amber and Brendan", if one name is found the others are names too."""
    named = sorted((f.start, f.end, f.entity_type) for f in findings if f.entity_type in _LISTED)
    if not named:
        return []
    starts = [n[0] for n in named]
    found: list[Finding] = []
    for pattern in _LISTS:
        for match in pattern.finditer(text):
            items = _items(match.group(0), match.start())
            kinds = [_kind_at(named, starts, a, b) for a, b in items]
            known = Counter(k for k in kinds if k is not None)
            if known:
                kind = known.most_common(1)[0][0]
                found += [Finding(a, b, kind, 0.6) for (a, b), k in zip(items, kinds, strict=True) if k is None]
    return found


def _items(listed: str, offset: int) -> list[tuple[int, int]]:
    spans, start = [], 0
    for sep in _ITEM_SPLIT.finditer(listed):
        spans.append((offset + start, offset + sep.start()))
        start = sep.end()
    return [*spans, (offset + start, offset + len(listed))]


def _kind_at(named: list[tuple[int, int, str]], starts: list[int], start: int, end: int) -> str | None:
    i = bisect.bisect_right(starts, start) - 1
    for j in (i, i + 1):
        if 0 <= j < len(named) and named[j][0] < end and start < named[j][1]:
            return named[j][2]
    return None
