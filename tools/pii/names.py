"""Names that an English NER model reads poorly, found by the script and case they are written in.

- ``ForeignScriptNameRecognizer``: words in a script other than Latin (Arabic, Hebrew, Cyrillic,
  Greek, Han, Devanagari, ...) inside text the detector reads as English name someone or some
  place: up to four such words in a row become one finding.
- ``DiacriticNameRecognizer``: a word with a Latin letter outside ASCII ("Söderberg", "ilić",
  "garcía") is a name in English text unless it is one of the loanwords English writes with
  accents. The words beside it that belong to the same name (capitalised ones next to a
  capitalised word, or non-stop words next to a lower-case one) are taken with it.
- ``lowercase_paragraphs``: the paragraphs written without any capital letter ("she named him
  joshua"), where NER finds no names because it relies on capitals. The detector reads them again
  with every word capitalised that is not a common English word (``truecased``), and keeps the
  people found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from hybridgraph.tools.pii.cues import SpanRecognizer
from hybridgraph.tools.pii.findings import Finding

__all__ = [
    "DiacriticNameRecognizer",
    "ForeignScriptNameRecognizer",
    "is_common_word",
    "lowercase_organisations",
    "lowercase_paragraphs",
    "truecased",
]

# A word with two letters at least, one of them in a script other than Latin.
_IN_WORD = r"[\p{L}\p{M}'\u2019\-]"
_FOREIGN_WORD = rf"(?={_IN_WORD}*\p{{L}}[\p{{M}}'\u2019\-]*\p{{L}}){_IN_WORD}*[^\P{{L}}\p{{Latin}}]{_IN_WORD}*"
_FOREIGN_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}]){_FOREIGN_WORD}(?:[ ]{_FOREIGN_WORD}){{0,3}}(?![\p{{L}}\p{{M}}])")


class ForeignScriptNameRecognizer(SpanRecognizer):
    """Runs of up to four words written in a non-Latin script, as ``PERSON``."""

    entity = "PERSON"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """One result per run."""
        yield from ((m.start(), m.end(), 0.6) for m in _FOREIGN_RUN.finditer(text))


_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'\u2019\-]*")
_ACCENTED = regex.compile(r"(?V1)[\p{Latin}--[A-Za-z]]")
#: Words English borrows with their accents; they name no one.
_LOANWORDS = frozenset(
    [
        "café",
        "cafés",
        "résumé",
        "résumés",
        "naïve",
        "naïvely",
        "façade",
        "façades",
        "déjà",
        "vis-à-vis",
        "à",
        "fiancé",
        "fiancée",
        "protégé",
        "entrée",
        "entrées",
        "première",
        "premières",
        "rôle",
        "rôles",
        "décor",
        "élite",
        "élan",
        "détente",
        "soufflé",
        "sauté",
        "crème",
        "coöperate",
        "coördinate",
        "über",
        "señor",
        "señora",
        "año",
        "años",
        "jalapeño",
        "piñata",
        "cliché",
        "clichés",
        "exposé",
        "pâté",
        "doppelgänger",
        "attaché",
        "née",
        "bête",
        "où",
        "für",
    ]
)


class DiacriticNameRecognizer(SpanRecognizer):
    """Words with non-ASCII Latin letters, with the words of the same name beside them, as ``PERSON``.

    Words one space apart form a chain when both are capitalised, or both lower case and not stop
    words. In a capitalised chain the name runs from two words before the first such word to two
    words after the last; in a lower-case chain, from the word before the first such word to the
    last one ("matthew pušaver", "maría josé garcía"): first names come first, and nothing else
    tells where a lower-case name begins.
    """

    entity = "PERSON"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """One result per name."""
        if _ACCENTED.search(text) is None:
            return
        words = list(_WORD.finditer(text))
        for first, last, marked in _marked_chains(text, words):
            reach = 2 if words[first].group(0)[0].isupper() else 0
            start, end = max(first, marked[0] - max(reach, 1)), min(last, marked[-1] + reach)
            yield words[start].start(), words[end].end(), 0.6


def _is_foreign_spelling(word: str) -> bool:
    return _ACCENTED.search(word) is not None and word.casefold() not in _LOANWORDS


def _marked_chains(text: str, words: list[regex.Match[str]]) -> list[tuple[int, int, list[int]]]:
    """``(first, last, marked)`` word indices of each run of words that can belong to one name
    (``_same_name`` holds for each neighbouring pair) and holds foreign spellings (``marked``)."""
    chains: list[tuple[int, int, list[int]]] = []
    for i, word in enumerate(words):
        if not _is_foreign_spelling(word.group(0)) or (chains and i <= chains[-1][1]):
            continue
        first = last = i
        while first > 0 and _same_name(text, words[first - 1], words[first]):
            first -= 1
        while last + 1 < len(words) and _same_name(text, words[last], words[last + 1]):
            last += 1
        marked = [j for j in range(i, last + 1) if _is_foreign_spelling(words[j].group(0))]
        chains.append((first, last, marked))
    return chains


def _same_name(text: str, left: regex.Match[str], right: regex.Match[str]) -> bool:
    """True if two words one space apart can be parts of one name: both capitalised, or both
    lower case and neither a stop word."""
    if text[left.end() : right.start()] != " ":
        return False
    a, b = left.group(0), right.group(0)
    if a[0].isupper() and b[0].isupper():
        return True
    return a.islower() and b.islower() and a not in STOP_WORDS and b not in STOP_WORDS


# A paragraph: text up to a blank line.
_PARAGRAPH = re.compile(r"(?:[^\n]|\n(?![ \t]*\n))+")


def lowercase_paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph with letters but no capital letter. A paragraph, not a
    line: the wrapped lines of ordinary prose often hold no capital, its paragraphs hardly ever."""
    spans = []
    for m in _PARAGRAPH.finditer(text):
        value = m.group(0)
        if any(ch.isalpha() for ch in value) and not any(ch.isupper() for ch in value):
            spans.append((m.start() + len(value) - len(value.lstrip()), m.end()))
    return spans


#: Words of technical formats that instructions name in lower case; no dictionary lists them.
_FORMAT_WORDS = frozenset(["json", "xml", "yaml", "csv", "html", "pdf", "url", "api", "sql", "http", "https", "uuid"])
_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))


def is_common_word(word: str) -> bool:
    """True if ``word`` (lower case) is a common English word, or one inflected ("keys", "signed")."""
    common = common_words()
    if word in common or word in _FORMAT_WORDS:
        return True
    return any(word.endswith(end) and word[: -len(end)] + add in common for end, add in _SUFFIXES)


@functools.cache
def common_words() -> frozenset[str]:
    """The words Webster's Second International lists in lower case (``english-words``, MIT): the
    common words of English. Given names it lists only capitalised ("Joshua"), so they are not here."""
    from english_words import get_english_words_set

    return frozenset(w for w in get_english_words_set(["web2"]) if w.islower())


def truecased(line: str) -> str:
    """``line`` with the first letter of every word capitalised that is neither a stop word nor a
    common English word ("she named him Joshua"); the same length. Instructions worded in lower
    case stay as they are, so NER finds no names in them."""

    def capital(match: regex.Match[str]) -> str:
        word = match.group(0)
        head = word[0].upper()
        if word in STOP_WORDS or len(head) != 1 or is_common_word(word):
            return word
        return head + word[1:]

    return _WORD.sub(capital, line)


_LOWER_FORMS = r"inc|corp|corporation|llc|ltd|limited|plc|gmbh|company|co"
_LOWER_ORGANISATION = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}])(?P<name>(?:[\p{{Ll}}\d][\p{{Ll}}\p{{M}}\d&'\u2019\-]*[ ]){{1,4}}?)(?:{_LOWER_FORMS})\b\.?"
)


def lowercase_organisations(paragraph: str) -> list[tuple[int, int]]:
    """``(start, end)`` of organisations named with a legal form in a paragraph without capitals
    ("firstpoint inc", "nationwide mutual insurance company"). The name is the run of words before
    the form after the last stop word; before "company" or "co" it must have two words at least
    ("the insurance company" is no name)."""
    spans = []
    for m in _LOWER_ORGANISATION.finditer(paragraph):
        words = list(_WORD.finditer(paragraph, m.start("name"), m.end("name")))
        while words and any(w.group(0) in STOP_WORDS for w in words):
            words = words[1 + max(i for i, w in enumerate(words) if w.group(0) in STOP_WORDS) :]
        form = paragraph[m.end("name") : m.end()].rstrip(".")
        if words and not (form in ("company", "co") and len(words) < 2):
            spans.append((words[0].start(), m.end()))
    return spans


# A capitalised word, and the space or single line break that joins it to the next one.
_NEIGHBOUR_BEFORE = regex.compile(r"(?<![\p{L}\p{M}])\p{Lu}[\p{L}\p{M}'\u2019\-]+(?:[ \t]|[ \t]*\n[ \t]*)$")
_NEIGHBOUR_AFTER = regex.compile(r"(?:[ \t]|[ \t]*\n[ \t]*)\p{Lu}[\p{L}\p{M}'\u2019\-]+(?![\p{L}\p{M}])")


def extended_names(text: str, findings: list[Finding]) -> list[Finding]:
    """People and organisations found only in part ("Henrietta Lindgren" where NER found "Lindgren"),
    widened by up to two capitalised words on each side, even across one line break, that are not
    common English ("Payee" and "Ministry" are; "Henrietta" is not). Each is scored just above
    the part it widens."""
    widened = []
    for f in findings:
        if f.entity_type not in ("PERSON", "ORGANIZATION"):
            continue
        start, end = f.start, f.end
        for _ in range(2):
            before = _NEIGHBOUR_BEFORE.search(text, max(0, start - 40), start)
            if before is None or _common_capitalised(before.group(0)):
                break
            start = before.start()
        for _ in range(2):
            after = _NEIGHBOUR_AFTER.match(text, end, min(len(text), end + 40))
            if after is None or _common_capitalised(after.group(0)):
                break
            end = after.end()
        if (start, end) != (f.start, f.end):
            widened.append(Finding(start, end, f.entity_type, min(1.0, f.score + 0.01)))
    return widened


def _common_capitalised(word: str) -> bool:
    value = word.strip().casefold()
    return value in STOP_WORDS or is_common_word(value)
