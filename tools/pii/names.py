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
  with every word that is not an English stop word capitalised (``truecased``), and keeps the
  people and organisations found.
"""

from __future__ import annotations

import re

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from hybridgraph.tools.pii.cues import CodeRecognizer

__all__ = ["DiacriticNameRecognizer", "ForeignScriptNameRecognizer", "lowercase_paragraphs", "truecased"]

# A word with two letters at least, one of them in a script other than Latin.
_IN_WORD = r"[\p{L}\p{M}'\u2019\-]"
_FOREIGN_WORD = rf"(?={_IN_WORD}*\p{{L}}[\p{{M}}'\u2019\-]*\p{{L}}){_IN_WORD}*[^\P{{L}}\p{{Latin}}]{_IN_WORD}*"
_FOREIGN_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}]){_FOREIGN_WORD}(?:[ ]{_FOREIGN_WORD}){{0,3}}(?![\p{{L}}\p{{M}}])")


class ForeignScriptNameRecognizer(CodeRecognizer):
    """Runs of up to four words written in a non-Latin script, as ``PERSON``."""

    entity = "PERSON"

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per run."""
        return [RecognizerResult(self.entity, m.start(), m.end(), 0.6) for m in _FOREIGN_RUN.finditer(text)]


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


class DiacriticNameRecognizer(CodeRecognizer):
    """Words with non-ASCII Latin letters, with the words of the same name beside them, as ``PERSON``.

    Words one space apart form a chain when both are capitalised, or both lower case and not stop
    words. In a capitalised chain the name runs from two words before the first such word to two
    words after the last; in a lower-case chain, from the word before the first such word to the
    last one ("matthew pušaver", "maría josé garcía"): first names come first, and nothing else
    tells where a lower-case name begins.
    """

    entity = "PERSON"

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per name."""
        if _ACCENTED.search(text) is None:
            return []
        words = list(_WORD.finditer(text))
        results = []
        for first, last, marked in _marked_chains(text, words):
            reach = 2 if words[first].group(0)[0].isupper() else 0
            start, end = max(first, marked[0] - max(reach, 1)), min(last, marked[-1] + reach)
            results.append(RecognizerResult(self.entity, words[start].start(), words[end].end(), 0.6))
        return results


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


def truecased(line: str) -> str:
    """``line`` with the first letter of every word that is not a stop word capitalised; the same length."""

    def capital(match: regex.Match[str]) -> str:
        word = match.group(0)
        head = word[0].upper()
        if word in STOP_WORDS or len(head) != 1:
            return word
        return head + word[1:]

    return _WORD.sub(capital, line)
