"""People and organisations named after a cue: an honorific, an introduction, a speaker's
label, an employment phrase. Small NER models miss many such names; the cue finds them.

``CodeRecognizer`` is the base for recognizers written in code rather than as one pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["CodeRecognizer", "EmployerCueRecognizer", "PersonCueRecognizer", "SpanRecognizer"]


class CodeRecognizer(EntityRecognizer):
    """A recognizer written in code for one entity type; subclasses implement ``analyze``."""

    entity = ""

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.entity], name=type(self).__name__)

    def load(self) -> None:
        """Nothing to load."""


class SpanRecognizer(CodeRecognizer):
    """A ``CodeRecognizer`` whose subclasses implement ``spans``: ``(start, end, score)`` of each
    value of its entity type in a text."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The spans as Presidio results."""
        return [RecognizerResult(self.entity, start, end, score) for start, end, score in self.spans(text)]

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Each value found in ``text``."""
        raise NotImplementedError


_NAME = r"[A-ZÀ-ÖØ-Þ][\w'\u2019\-]+"
# An honorific and the name after it, in any case ("Mr. Derek Crnić", "mr. larry lombardo").
_TITLED = re.compile(
    r"\b(?i:mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|mme|mlle|sr|sra)\.?[ \t]+"
    r"(?i:[a-zà-öø-þ][\w'\u2019\-]+)(?:[ \t]+" + _NAME + r"|[ \t]+(?i:[a-zà-öø-þ][\w'\u2019\-]+)(?=[?.!,]|$))?",
    re.MULTILINE,
)
# A name introduced by a cue ("My name is Elina", "Name: Bridget Knudsen", "Dear Ms Tan", "I'm Scott").
_INTRODUCED = re.compile(
    r"(?:\b(?i:my name is|name is|signed by|attn\.?|attention|dear|hi|hello|contact person|call me|calls me|"
    r"named(?:[ \t]+(?:him|her))?|I\\?['\u2019]m|I am)"
    r"|^(?i:name|full name|contact|signatory)[ \t]*:)[ \t]+(?P<name>" + _NAME + r"(?:[ ]" + _NAME + r"){0,2})",
    re.MULTILINE,
)


# After the strongest cues a name is taken in any case ("my name is marie"), unless it is a common word.
_INTRODUCED_ANY_CASE = re.compile(
    r"\b(?i:my name is|call me|calls me|name on the account\?? user:)[ \t]+(?P<first>[^\W\d_][\w'\-]+)"
    r"(?:[ \t]+(?P<last>[^\W\d_][\w'\-]+))?"
)
# The speaker of a line of dialogue or a chat transcript: 'Laura: "Who are you?"'.
_SPEAKER = re.compile(
    r"(?:^|(?<=[.!?\"\u201d]\s)|(?<=[.!?\"\u201d]))(?P<name>[^\W\d_][\w'\-]{1,30}):[ \t]*\\?[\"\u201c]"
)


class PersonCueRecognizer(CodeRecognizer):
    """People named after an honorific or an introduction cue; finds what small NER models miss."""

    entity = "PERSON"

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Titled names (title included, as it identifies too) and introduced names."""
        # A cue is stronger evidence than an NER label, so these outrank spaCy's 0.85 on the same span.
        results = [RecognizerResult("PERSON", m.start(), m.end(), 0.9) for m in _TITLED.finditer(text)]
        results += [RecognizerResult("PERSON", m.start("name"), m.end("name"), 0.9) for m in _INTRODUCED.finditer(text)]
        results += [RecognizerResult("PERSON", m.start("name"), m.end("name"), 0.6) for m in _SPEAKER.finditer(text)]
        for m in _INTRODUCED_ANY_CASE.finditer(text):
            if m.group("first").lower() not in STOP_WORDS:
                end = "last" if m.group("last") and m.group("last").lower() not in STOP_WORDS else "first"
                results.append(RecognizerResult("PERSON", m.start("first"), m.end(end), 0.7))
        return results


# An employer or business named after a cue ("works for Quertle", "spent a year at Itriage").
_EMPLOYER = re.compile(
    r"\b(?i:works?[ \t]+(?:at|for)|worked[ \t]+(?:at|for)|employed[ \t]+(?:at|by)|is[ \t]+from|"
    r"(?:a|one|two|three|several)[ \t]+years?[ \t]+at|joined|recorded[ \t]+for|on[ \t]+behalf[ \t]+of|"
    r"the[ \t]+address[ \t]+of)[ \t]+(?P<name>(?:[A-Z]|\d+[A-Za-z])[\w&'\u2019.\-]*"
    r"(?:[ \t]+(?:[A-Z][\w&'\u2019.\-]*|&|of)){0,3})"
)


# ... or before a word for its premises or people ("the Quertle office", "the Acme board").
_PREMISES = re.compile(
    r"\b[Tt]he[ ](?P<name>[A-Z][\w&'\u2019.\-]*(?:[ ][A-Z][\w&'\u2019.\-]*){0,3})[ ]"
    r"(?:office|offices|headquarters|HQ|team|board|staff|employees|factory|plant|store)\b"
)


class EmployerCueRecognizer(CodeRecognizer):
    """Organisations named after an employment or affiliation cue."""

    entity = "ORGANIZATION"

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The capitalised name after each cue."""
        matches = [*_EMPLOYER.finditer(text), *_PREMISES.finditer(text)]
        return [RecognizerResult("ORGANIZATION", m.start("name"), m.end("name"), 0.6) for m in matches]
