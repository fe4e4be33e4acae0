"""Recognizers for business documents that stock Presidio lacks.

Each is a Presidio recognizer, so it runs inside the same ``AnalyzerEngine`` pass. Patterns
describe *shapes* (legal-form suffixes, address grammar, ID formats); none is a list of
names taken from any data set.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from hybridgraph.tools.pii.cues import CodeRecognizer, EmployerCueRecognizer, PersonCueRecognizer

__all__ = ["business_recognizers", "deny_list_recognizer", "organisation_core"]

#: Case matters for these shapes; Presidio's default flags ignore case.
_FLAGS = re.DOTALL | re.MULTILINE
_FORMS = (
    r"Inc|Incorporated|Corp|Corporation|Company|Co|LLC|L\.L\.C|LLP|L\.P|LP|Ltd|Limited|PLC|plc|GmbH|AG|KG|SE|"
    r"S\.A|SA|S\.A\.S|SAS|S\.p\.A|SpA|S\.r\.l|Srl|B\.V|BV|N\.V|NV|Oy|AB|ASA|A/S|Pty|Pte|Holdings|Group|Trust"
)
#: Legal forms as written, and in capitals as contracts often write them ("ACME HOLDINGS INC.").
_LEGAL_FORMS = _FORMS + "|" + _FORMS.upper()
_NAME_WORD = r"(?:[A-Z][\w&'\u2019.\-]*|&|and|of|the|de|van|von)"
# The first word may start with digits ("2TheMart.com, Inc.") or a lowercase prefix ("eBay Inc.",
# "i-Escrow, Inc."); the name ends at its first legal form.
_FIRST_WORD = r"(?:[A-Z]|\d+[A-Za-z]|[a-z]{1,2}-?[A-Z])[\w&'\u2019.\-]*"
ORGANIZATION_WITH_LEGAL_FORM = rf"\b{_FIRST_WORD}(?:[ \t]+{_NAME_WORD}){{0,6}}?,?[ \t]+(?:{_LEGAL_FORMS})\b\.?"
_CORE = re.compile(rf"^(?P<core>.+?),?[ \t]+(?:{_LEGAL_FORMS})\.?(?:,?[ \t]+(?:{_LEGAL_FORMS})\.?)*$")
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Parkway|Pkwy|Place|Pl|Way|"
    r"Terrace|Circle|Cir|Highway|Hwy|Square|Sq|Plaza|Alley|Row|Crescent|Close|Trail|Loop|Pike"
)
STREET_ADDRESS = (
    rf"\b\d{{1,6}}[A-Za-z]?(?:[ \t]+[NSEW]\.?)?(?:[ \t]+[A-Z][a-zA-Z'\u2019.\-]*){{1,4}}"
    rf"[ \t]+(?:{_STREET_TYPES})\b\.?"
    r"(?:,?[ \t]+(?:Suite|Ste|Apt|Apartment|Unit|Floor|Fl|Room|Rm)\.?[ \t]*#?[\w\-]+)?"
)
# Street words of other countries, before the name ("Rua X 12", "Via Roma 5") or fused after it
# ("Hauptstraße 5", "Vesturgata 66", "Kerkstraat 3", "Andrássy út 10").
_STREET_BEFORE = (
    r"Rua|Rue|Via|Viale|Calle|Avenida|Avda|Avenue|Av\.|Praça|Plaza|Piazza|Largo|Travessa|Ulica|ul\.|Carrer|Chemin"
)
_STREET_AFTER = (
    r"straße|strasse|weg|platz|allee|gasse|ring|damm|straat|laan|plein|steenweg|dreef|gata|gatan|vej|vegen|"
    r"veien|väg|vägen|tie|katu|utca|út|tér|ulica|cesta|iela|gatvė|tänav"  # and "str." (below)
)
# The word is taken whole (possessively), then its ending is checked: trying each ending at each
# position of every word took three times as long.
CONTINENTAL_ADDRESS = rf"(?i)\b[\w\-]++(?:(?<=[\w\-](?:{_STREET_AFTER}))\.?|(?<=[\w\-]str)\.)[ \t]+\d{{1,5}}[a-z]?\b"
ROMANCE_ADDRESS = rf"(?i)\b(?:\d{{1,6}}[ \t]+)?(?:{_STREET_BEFORE})[ \t]+(?:[\w'\u2019.\-]+[ \t]+){{0,5}}?\d{{1,5}}\b"
#: Words that introduce the unit part of an address ("Suite 286", "Apt. 12").
UNIT_WORDS = r"suite|ste\.?|apt\.?|apartment|unit|floor|room|flat"
UNIT_DESIGNATOR = rf"(?i)\b(?:{UNIT_WORDS})[ \t]?#?[ \t]?\d{{1,5}}[a-z]?\b"
POSTCODE = r"\b\d{5}(?:-\d{4})?\b"
# A number labelled by what line it is, as in letterheads and signatures: "0319 3649187-Office".
_PHONE_LABELS = r"(?i:office|fax|mobile|cell|home|work|tel|phone)\b"
# The cue is matched and then dropped from the match (``\K``, a ``regex`` module feature): as a
# lookbehind it was tried at every position, at ten times the cost.
_CALL_CUE = r"\b(?i:call|text|reach|ring|dial)(?:[ \t]+(?i:me|us|him|her|them))?(?:[ \t]+(?i:on|at))?[ \t]+\K"
# Digit groups of a phone number in any national format, trusted only next to a phone word.
PHONE_SHAPE = (
    r"(?<![\w/])(?:\+|00)?\d{0,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]\d{2,8}){1,4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,6})?(?![\w/])"
)
EU_VAT = (
    r"\b(?:ATU\d{8}|BE[01]\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|"
    r"ES[A-Z0-9]\d{7}[A-Z0-9]|FI\d{8}|FR[A-HJ-NP-Z0-9]{2}\d{9}|GB(?:\d{9}|\d{12})|HR\d{11}|HU\d{8}|"
    r"IE\d{7}[A-W][A-I]?|IT\d{11}|LT(?:\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL\d{9}B\d{2}|PL\d{10}|"
    r"PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|CHE[-\s]?\d{3}\.?\d{3}\.?\d{3})\b"
)

# "between Acme GmbH ("Supplier") and Globex Inc. ("Buyer")": the party names of a preamble.
# The name may be followed by a description before its defined term: 'Bizzingo, Inc., a Nevada
# corporation with offices at ... ("Bizzingo")'.
_PARTY = re.compile(
    r"(?:\bbetween|\band|\bby)\s*:?\s+(?P<name>[A-Z0-9][^()\n\"“”]{1,120}?)\s*,?\s*"
    r"(?:(?<=[\s,])(?:a|an|with|having|whose|located|organized|incorporated)\b[^()\"“”]{0,250}?)?"
    r"(?:\((?:[^()]{0,200}?)?(?:hereinafter|the|referred to as|\s)*[\"“”']+(?P<alias>[^\"“”'()]{1,40})[\"“”']+\s*\))",
)


class PreamblePartyRecognizer(CodeRecognizer):
    """Defined parties (``X ("Supplier")``) and every later mention of their names."""

    entity = "ORGANIZATION"

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Find defined party names, then all their occurrences."""
        names: set[str] = set()
        for m in _PARTY.finditer(text):
            name, alias = m.group("name").strip(" ,;:"), m.group("alias").strip()
            if 2 <= len(name) <= 120:
                names.add(name)
                if _is_alias(alias, name):
                    names.add(alias)
        results = []
        for name in names:
            for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                results.append(RecognizerResult("ORGANIZATION", match.start(), match.end(), 0.9))
        return results


def organisation_core(name: str) -> str:
    """The name without its legal form: "Bizzingo" for "BIZZINGO, INC."; the name itself if it has none."""
    match = _CORE.match(name.strip())
    return match.group("core").strip(" ,") if match else name


def _is_alias(alias: str, name: str) -> bool:
    """True if a defined term names the party ("Accuray" for "ACCURAY INCORPORATED", "2TheMart" for
    "2THEMART.COM, INC.") rather than its role ("Supplier")."""
    alias_key = re.sub(r"\W", "", alias).casefold()
    name_words = {w.casefold() for w in re.findall(r"\w+", organisation_core(name))}
    alias_words = {w.casefold() for w in re.findall(r"\w+", alias)}
    return len(alias_key) >= 3 and (
        bool(alias_words & name_words) or re.sub(r"\W", "", name).casefold().startswith(alias_key)
    )


def _recognizer(entity: str, name: str, patterns: list[Pattern], context: str = "") -> PatternRecognizer:
    """A case-sensitive pattern recognizer; ``context`` is a space-separated list of cue words."""
    return PatternRecognizer(
        supported_entity=entity,
        name=name,
        patterns=patterns,
        context=context.split(),
        global_regex_flags=_FLAGS,
    )


BIC = r"\b[A-Z]{4}(?:AT|BE|CH|DE|ES|FR|GB|IE|IT|LU|NL|PL|SE|US)[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b"
_ADDRESS_CUES = "zip postcode postal address street city located lives live suite apt road avenue state"
_PHONE_CUES = (
    "phone call tel telephone mobile cell fax number dial text reach contact whatsapp ring office home "
    "work answer answering extension"
)


def business_recognizers() -> list[EntityRecognizer]:
    """Organisations, parties, people by cue, addresses, phones, BIC, VAT and tax IDs, bank accounts.

    Scores below the detector's threshold (0.4) only count next to a cue word (Presidio adds 0.35).
    """
    return [
        _recognizer(
            "ORGANIZATION",
            "LegalFormOrganizationRecognizer",
            [Pattern("legal form", ORGANIZATION_WITH_LEGAL_FORM, 0.9)],
        ),
        PreamblePartyRecognizer(),
        PersonCueRecognizer(),
        EmployerCueRecognizer(),
        _recognizer(
            "STREET_ADDRESS",
            "StreetAddressRecognizer",
            [
                Pattern("street address", STREET_ADDRESS, 0.9),
                Pattern("continental address", CONTINENTAL_ADDRESS, 0.9),
                Pattern("romance address", ROMANCE_ADDRESS, 0.85),
                Pattern("unit designator", UNIT_DESIGNATOR, 0.6),
            ],
        ),
        _recognizer("STREET_ADDRESS", "PostcodeRecognizer", [Pattern("postcode", POSTCODE, 0.1)], _ADDRESS_CUES),
        _recognizer(
            "PHONE_NUMBER",
            "PhoneShapeRecognizer",
            [
                Pattern("phone shape", PHONE_SHAPE, 0.1),
                Pattern("labelled phone", PHONE_SHAPE + r"(?=[ \t]*-?[ \t]*" + _PHONE_LABELS + ")", 0.7),
                # spaCy counts "call" as a stop word, so the context enhancer never sees it.
                Pattern("called phone", _CALL_CUE + PHONE_SHAPE, 0.6),
            ],
            _PHONE_CUES,
        ),
        _recognizer("SWIFT_CODE", "SwiftBicRecognizer", [Pattern("bic", BIC, 0.3)], "bic swift bank"),
        _recognizer("VAT_ID", "VatIdRecognizer", [Pattern("eu vat", EU_VAT, 0.6)], "vat ust-idnr tva iva tax"),
        _recognizer(
            "TAX_ID",
            "UsEinRecognizer",
            [Pattern("ein", r"\b\d{2}-\d{7}\b", 0.3)],
            "ein employer identification tax taxpayer tin",
        ),
        _recognizer(
            "BANK_ACCOUNT",
            "BankAccountRecognizer",
            [Pattern("account number", r"\b\d{6,17}\b", 0.05)],
            "account acct a/c kontonummer routing",
        ),
    ]


def deny_list_recognizer(terms: list[str]) -> PatternRecognizer | None:
    """Confidential terms (project code names and the like), matched as whole words in any case."""
    cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    regex = r"(?i)\b(?:" + "|".join(re.escape(t) for t in cleaned) + r")\b"
    return _recognizer("CONFIDENTIAL_TERM", "DenyListRecognizer", [Pattern("deny list", regex, 1.0)])
