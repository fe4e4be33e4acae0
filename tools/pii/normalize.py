"""One canonical form of a text for detection, classification and the egress guard, with offsets
mapped back to the original.

Hostile or careless text hides values from pattern and NER detectors: a zero-width space inside
an IBAN, a right-to-left mark inside a name, fullwidth digits in a card number, a NUL byte, a name
broken across a line ("Lindqvist Freight\\nSystems AB", "Anna-\\nLena"). ``canonical`` undoes each:

- Unicode NFKC (fullwidth and compatibility forms become plain ones, combining marks compose);
- invisible characters removed: format characters (zero-width spaces and joiners, bidi marks and
  isolates, the soft hyphen, the BOM, tag characters), control characters other than tab and line
  breaks, NUL, variation selectors and blank fillers (``INVISIBLE``);
- Unicode line and paragraph separators become line breaks;
- a line break after a hyphen between letters is dropped ("Anna-\\nLena" reads "Anna-Lena"), and a
  line break between two capitalised words of prose becomes a space, so a name split by wrapping
  is one name. It stays when the next word is a field label ("Title:") or starts sentences ("The",
  "This"), and when the line before it has no lower-case word: a letterhead's lines of names
  ("Laura Gorski\\nMinistry of Agriculture") are separate names.

Everything else is copied as it is, so the canonical text of plain ASCII prose is the text itself.
``Canonical.original`` maps a finding's span back to the original text, widened to whole
characters of the original, so pseudonymising the original covers everything the value was made of.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass

import regex

from hybridgraph.tools.pii.findings import Finding, resolve_overlaps

__all__ = ["INVISIBLE", "Canonical", "canonical", "invisible_count", "strip_invisible"]

#: Characters that render as nothing and so can hide or split a value.
INVISIBLE = regex.compile(
    r"[\p{Cf}\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u034f\u115f\u1160\u3164\uffa0"
    r"\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
_SEPARATORS = {"\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
# What may change: a character outside ASCII (with the combining marks after it, or after the
# ASCII letter it modifies), an ASCII control, and a line break between two words.
_SPECIAL = regex.compile(
    r"(?P<char>[\x00-\x7f]\p{M}+|[^\x00-\x7f]\p{M}*|[\x00-\x08\x0e-\x1f\x7f])"
    r"|(?P<hyphen>(?<=\p{L})-[ \t]*\r?\n[ \t]*(?=\p{L}))"
    r"|(?P<wrap>(?<=\b\p{Lu}[\p{L}\p{M}'\u2019\-]*)[ \t]*\r?\n[ \t]*"
    r"(?=(?P<next>\p{Lu}[\p{L}\p{M}'\u2019\-]*)(?P<after>.?)))",
)
_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{M}])\p{Ll}")
# Capitalised words that start sentences and headings more often than they continue a name.
_STARTERS = frozenset(
    [
        "the",
        "this",
        "that",
        "these",
        "those",
        "a",
        "an",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "to",
        "of",
        "if",
        "as",
        "it",
        "its",
        "each",
        "any",
        "all",
        "no",
        "not",
        "section",
        "article",
        "schedule",
        "exhibit",
        "annex",
        "appendix",
        "clause",
        "part",
        "whereas",
        "now",
        "notwithstanding",
        "subject",
        "provided",
        "upon",
        "unless",
        "except",
        "where",
        "when",
        "while",
        "with",
        "without",
        "such",
    ]
)


@dataclass(frozen=True)
class _Edit:
    """``original[start:end]`` became ``canonical[at:at + len(text)]``."""

    start: int
    end: int
    at: int
    text: str


class Canonical:
    """A text's canonical form (``text``) and the way back to the original's offsets."""

    def __init__(self, original: str, text: str, edits: list[_Edit]) -> None:
        self.source = original
        self.text = text
        self._edits = edits
        self._ats = [e.at for e in edits]

    @property
    def changed(self) -> bool:
        """True if the canonical text differs from the original."""
        return bool(self._edits)

    def start_in_original(self, index: int) -> int:
        """The original offset where the canonical character at ``index`` begins."""
        return self._locate(index, start=True)

    def end_in_original(self, index: int) -> int:
        """The original offset just after the canonical character ``index - 1`` ends."""
        return self._locate(index - 1, start=False) if index > 0 else 0

    def _locate(self, index: int, *, start: bool) -> int:
        # The last edit at or before ``index``; several share an ``at`` only when removals precede.
        i = bisect.bisect_right(self._ats, index) - 1
        if i < 0:
            return index if start else index + 1
        edit = self._edits[i]
        if index < edit.at + len(edit.text):  # inside a replacement: all of what it replaced
            return edit.start if start else edit.end
        copied = edit.end + (index - edit.at - len(edit.text))
        return copied if start else copied + 1

    def original(self, findings: list[Finding]) -> list[Finding]:
        """``findings`` of the canonical text as spans of the original, without overlaps, by position."""
        if not self._edits:
            return findings
        mapped = [
            Finding(self.start_in_original(f.start), self.end_in_original(f.end), f.entity_type, f.score)
            for f in findings
        ]
        return resolve_overlaps([f for f in mapped if f.end > f.start])


def canonical(text: str) -> Canonical:
    """The canonical form of ``text`` (see the module's docstring) in one pass over it."""
    if text.isascii() and "\n" not in text and INVISIBLE.search(text) is None:
        return Canonical(text, text, [])
    parts: list[str] = []
    edits: list[_Edit] = []
    cursor = size = 0
    for match in _SPECIAL.finditer(text):
        replacement = _replacement(match)
        if replacement is None or replacement == match.group(0):
            continue
        parts.append(text[cursor : match.start()])
        size += match.start() - cursor
        edits.append(_Edit(match.start(), match.end(), size, replacement))
        parts.append(replacement)
        size += len(replacement)
        cursor = match.end()
    if not edits:
        return Canonical(text, text, [])
    parts.append(text[cursor:])
    return Canonical(text, "".join(parts), edits)


def _replacement(match: regex.Match[str]) -> str | None:
    """What a special match becomes in the canonical text; None to keep it."""
    if match.group("char") is not None:
        value = match.group("char")
        if value in _SEPARATORS:
            return _SEPARATORS[value]
        return INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    if match.group("hyphen") is not None:
        return "-"
    nxt, after = match.group("next"), match.group("after")
    line = match.string[match.string.rfind("\n", 0, match.start()) + 1 : match.start()]
    if after == ":" or nxt.casefold() in _STARTERS or _LOWER_WORD.search(line) is None:
        return None  # a label, a new sentence, or a line of names alone (a letterhead's)
    return " "


def invisible_count(text: str) -> int:
    """How many invisible characters ``text`` holds."""
    return len(INVISIBLE.findall(text))


def strip_invisible(text: str) -> str:
    """``text`` without its invisible characters (nothing else changes)."""
    return INVISIBLE.sub("", text)
