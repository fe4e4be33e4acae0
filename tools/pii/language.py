"""Is a text in a language the detector's model was trained on?

The spaCy model is English. A text in another language gets far fewer detections, so it must
not be trusted to be clean. The test is cheap and needs no model: running English prose is
roughly 40 % stop words ("the", "of", "and", ...); German, French or Greek prose has almost none
of *English* stop words. Short texts are given the benefit of the doubt, as a few words say little.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["MIN_WORDS", "looks_english"]

#: Texts with fewer words than this are not judged.
MIN_WORDS = 30
#: Below this share of English stop words a text is taken to be in another language.
STOP_WORD_SHARE = 0.15
_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 20_000


def looks_english(text: str) -> bool:
    """True if ``text`` reads as English (or is too short to tell). Samples the start, middle and end."""
    if len(text) > 3 * _SAMPLE_CHARS:
        middle = len(text) // 2
        text = " ".join((text[:_SAMPLE_CHARS], text[middle : middle + _SAMPLE_CHARS], text[-_SAMPLE_CHARS:]))
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return True
    return sum(w in STOP_WORDS for w in words) / len(words) >= STOP_WORD_SHARE
