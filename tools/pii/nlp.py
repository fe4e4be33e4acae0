"""The spaCy and Presidio pieces the detector runs, trimmed to what it uses.

Measured on 12 CUAD contracts of 20-30 kB (see ``bench/pii_eval.py --cuad``):

- The sm pipeline runs tok2vec, tagger, parser, attribute ruler, lemmatizer and NER. Only the
  entities and a lemma per token are used here; the NER component has its own tok2vec, so the
  others are switched off and a lower-case form stands in for the lemma. spaCy time halves, and the
  entities are the same but for a handful of spans.
- Presidio's context enhancer finds each candidate's token by a linear scan of the document and
  tests context words against a list: O(candidates x tokens). Contracts have thousands of number
  candidates (phone, postcode and account shapes), so this took about 0.2 s per contract.
  ``FastContextEnhancer`` does the same with a binary search and a set.
- Presidio's phone recognizer runs python-phonenumbers' matcher over the whole text once per
  region (eight of them): about 0.15 s per contract. ``CandidatePhoneRecognizer`` runs the same
  matcher only on the runs of digits and separators that could be a phone number, with the
  same results.
- Presidio's URL recognizer tries its pattern (a 1,500-alternative list of domain endings) at
  every position: about 11 ms per contract. ``DottedUrlRecognizer`` runs it only on the
  whitespace-delimited words that contain a dot between a letter or digit and a letter, which
  every URL it can match does (and a match never spans whitespace), with the same results.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer, UrlRecognizer

__all__ = ["CandidatePhoneRecognizer", "DottedUrlRecognizer", "FastContextEnhancer", "trim_pipeline"]

_LEMMA_COMPONENT = "hybridgraph_lower_lemma"


def trim_pipeline(nlp: Any) -> None:
    """Run only the tokenizer and NER, with each token's lower-case form as its lemma."""
    from spacy.language import Language

    if _LEMMA_COMPONENT not in Language.factories:
        Language.component(_LEMMA_COMPONENT, func=_lower_lemma)
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name == "ner"])
    if _LEMMA_COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(_LEMMA_COMPONENT, last=True)


def _lower_lemma(doc: Any) -> Any:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


class FastContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's lemma context enhancer with an O(log n) token lookup and set membership."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._artifacts: NlpArtifacts | None = None
        self._keywords: frozenset[str] = frozenset()

    def _extract_surrounding_words(self, nlp_artifacts: NlpArtifacts, word: str, start: int) -> list[str]:
        if not nlp_artifacts.tokens:
            return [""]
        if nlp_artifacts is not self._artifacts:
            self._artifacts = nlp_artifacts
            self._keywords = frozenset(k.lower() for k in nlp_artifacts.keywords)
        indices: list[int] = nlp_artifacts.tokens_indices
        index = max(0, bisect.bisect_right(indices, start) - 1)
        if index + 1 < len(indices) and start >= indices[index] + len(nlp_artifacts.tokens[index]):
            index += 1  # the match starts in the whitespace after a token
        lemmas: list[str] = nlp_artifacts.lemmas
        words = self._walk(lemmas, index, -1, self.context_prefix_count)
        words += self._walk(lemmas, index, 1, self.context_suffix_count)
        return list(set(words))

    def _walk(self, lemmas: list[str], index: int, step: int, count: int) -> list[str]:
        """Up to ``count`` context words from ``index`` on (the match's own token included,
        as Presidio does, for cues glued to the value)."""
        words: list[str] = []
        i, remaining = index, count + 1
        while 0 <= i < len(lemmas) and remaining > 0:
            lemma = lemmas[i].lower()
            if lemma in self._keywords:
                words.append(lemma)
                remaining -= 1
            i += step
        return words


# Seven or more characters of digits and phone punctuation, starting and ending with a digit (or
# an opening "+" or "("), with an optional extension: every string the matcher could accept.
_PHONE_CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d(?:[ \t]*(?:x|ext\.?|#)[ \t]*\d{1,6})?")
_MARGIN = 12


class CandidatePhoneRecognizer(PhoneRecognizer):
    """Presidio's ``PhoneRecognizer``, run on candidate substrings instead of the whole text."""

    def __init__(self) -> None:
        super().__init__(name="CandidatePhoneRecognizer")

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The matcher's results on each candidate (with a little context), moved to text offsets."""
        results: list[RecognizerResult] = []
        for match in _PHONE_CANDIDATE.finditer(text):
            start, end = max(0, match.start() - _MARGIN), min(len(text), match.end() + _MARGIN)
            results += _moved(super().analyze(text[start:end], entities), start)
        return list(EntityRecognizer.remove_duplicates(results))


def _moved(results: list[RecognizerResult], offset: int) -> list[RecognizerResult]:
    """Results found in a piece of the text that starts at ``offset``, moved to text offsets."""
    for result in results:
        result.start += offset
        result.end += offset
    return results


# A dot between a letter, digit, dot or hyphen and a letter: what the domain of any URL the
# recognizer matches contains ("example.com", "www.x.org/path").
_URL_TRIGGER = re.compile(r"[a-z0-9.\-]\.[a-z]", re.IGNORECASE)
# The non-whitespace run ending at (searched backwards) or starting at a position, with the same
# idea of whitespace as the ``regex`` module Presidio matches with.
_RUN_BEFORE = regex.compile(r"\S*", regex.REVERSE)
_RUN_AFTER = regex.compile(r"\S*")


class DottedUrlRecognizer(UrlRecognizer):
    """Presidio's ``UrlRecognizer``, run only on the words that contain a dotted domain."""

    def __init__(self) -> None:
        super().__init__(name="DottedUrlRecognizer")

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """The pattern's results in each word with a dotted domain, moved to text offsets."""
        results: list[RecognizerResult] = []
        end = 0
        for trigger in _URL_TRIGGER.finditer(text):
            if trigger.start() < end:
                continue  # in the word just analysed
            before, after = _RUN_BEFORE.match(text, 0, trigger.start()), _RUN_AFTER.match(text, trigger.start())
            start = before.start() if before else trigger.start()  # \S* always matches, if only empty
            end = after.end() if after else trigger.end()
            results += _moved(super().analyze(text[start:end], entities, nlp_artifacts, regex_flags), start)
        return results
