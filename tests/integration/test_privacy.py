"""The privacy boundary end to end: real Presidio, the egress guard, and the bytes that reached the cloud."""

from __future__ import annotations

import json

import pytest
from conftest import CloudServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridgraph.catalog import Endpoint
from hybridgraph.errors import EgressBlocked
from hybridgraph.models import ChatRequest, open_model
from hybridgraph.models.egress import EgressGuard
from hybridgraph.telemetry import AuditLog
from hybridgraph.tools.pii import Vault, pseudonymize, restore
from hybridgraph.tools.pii.detector import DetectorConfig, PiiDetector, shared_detector

pytestmark = pytest.mark.integration

CONTRACT = (
    'This Supply Agreement is made between Nordwind Logistik GmbH ("Supplier") and Harbor Crest Foods, Inc. '
    '("Buyer"). Notices to Maria Gonzalez, 742 Evergreen Terrace, Springfield, maria.gonzalez@harborcrest.com, '
    "+1 (312) 555-0147. Payment to IBAN DE89370400440532013000. Project Bluefin is strictly confidential. "
    "Nordwind Logistik GmbH shall deliver within 30 days."
)


def test_detector_finds_business_entities_offline() -> None:
    detector = PiiDetector(DetectorConfig(deny_list=("Project Bluefin",)))
    found = {(f.entity_type, CONTRACT[f.start : f.end]) for f in detector.detect(CONTRACT)}
    assert ("ORGANIZATION", "Nordwind Logistik GmbH") in found
    assert ("ORGANIZATION", "Harbor Crest Foods, Inc.") in found
    assert ("STREET_ADDRESS", "742 Evergreen Terrace") in found
    assert ("EMAIL_ADDRESS", "maria.gonzalez@harborcrest.com") in found
    assert ("IBAN_CODE", "DE89370400440532013000") in found
    assert ("CONFIDENTIAL_TERM", "Project Bluefin") in found
    assert any(kind == "PERSON" and "Maria Gonzalez" in text for kind, text in found)
    assert not any(kind in {"DATE_TIME", "UK_NHS"} for kind, _ in found)


FIRST = st.sampled_from(["Maria", "James", "Aiko", "Olu", "Sven", "Priya", "Daniel", "Fatima"])
LAST = st.sampled_from(["Gonzalez", "Okafor", "Lindqvist", "Tanaka", "Brennan", "Haddad", "Kowalski"])
WORD = st.sampled_from(["Nordic", "Crest", "Vantage", "Helios", "Granite", "Sable", "Orion", "Meridian"])
FORM = st.sampled_from(["GmbH", "Inc.", "Ltd", "LLC", "AG", "Corporation"])
STREET = st.sampled_from(["Street", "Avenue", "Road", "Lane", "Boulevard"])


@st.composite
def pii_document(draw: st.DrawFn) -> tuple[str, list[str]]:
    person = f"{draw(FIRST)} {draw(LAST)}"
    company = f"{draw(WORD)} {draw(WORD)} {draw(FORM)}"
    email = f"{draw(FIRST).lower()}.{draw(LAST).lower()}@{draw(WORD).lower()}-mail.com"
    address = f"{draw(st.integers(1, 9999))} {draw(WORD)} {draw(STREET)}"
    phone = f"+1 (415) 555-{draw(st.integers(1000, 9999))}"
    ssn = f"{draw(st.integers(100, 665))}-{draw(st.integers(10, 99))}-{draw(st.integers(1000, 9999))}"
    text = (
        f"Agreement with {company}. Our contact is {person}, who can be reached at {email} or {phone}. "
        f"Deliveries go to {address}. For payroll, {person} gave SSN {ssn}."
    )
    return text, [person, company, email, address, phone, ssn]


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=pii_document())
async def test_no_pii_reaches_the_cloud(
    doc: tuple[str, list[str]], cloud_endpoint: Endpoint, cloud_server: CloudServer
) -> None:
    text, values = doc
    vault = Vault()
    redacted = pseudonymize(text, shared_detector().detect(text), vault)
    cloud_server.proxy.clear()
    model = open_model(cloud_endpoint)
    assert model.layer(EgressGuard) is not None
    prompt = f"Repeat the following text exactly:\n{redacted}"
    answer = await model.complete(ChatRequest.from_prompt(prompt, max_tokens=64))
    wire = cloud_server.proxy.raw
    assert wire, "the request reached the cloud"
    for value in values:
        assert value.encode() not in wire, f"a {len(value)}-character PII value reached the cloud"
    restored = restore(answer.text, vault)
    for token in vault.tokens:
        if token in answer.text:
            assert vault.value_of(token) in restored.text  # the answer gets the real values back


async def test_unredacted_payload_is_blocked_and_nothing_is_sent(
    cloud_endpoint: Endpoint, cloud_server: CloudServer
) -> None:
    cloud_server.proxy.clear()
    model = open_model(cloud_endpoint)
    with pytest.raises(EgressBlocked) as info:
        await model.complete(ChatRequest.from_prompt(f"Review this clause: {CONTRACT}"))
    assert {"EMAIL_ADDRESS", "IBAN_CODE", "ORGANIZATION"} <= set(info.value.counts)
    assert "maria" not in str(info.value).lower()
    assert cloud_server.proxy.raw == b""
    entry = json.loads(AuditLog.default().path.read_text().splitlines()[-1])
    assert entry["egress"] == "blocked" and entry["egress_blocked"] == info.value.counts
    assert entry["outcome"] == "EgressBlocked" and "maria" not in json.dumps(entry).lower()


async def test_local_endpoints_are_not_guarded() -> None:
    model = open_model(Endpoint(name="loc", model="llamacpp:smollm2"))
    assert model.layer(EgressGuard) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hello, this is Mr. Tomasz Wróbel. Who are you?", "Mr. Tomasz Wróbel"),
        ("please correct it to mrs. ingrid halvorsen?", "mrs. ingrid halvorsen"),
        ("Name:    Oskar Lindgren\nAddress: 12 Birch Lane", "Oskar Lindgren"),
        ("My name is Nkechi", "Nkechi"),
    ],
)
def test_people_named_after_a_cue(text: str, name: str) -> None:
    found = [text[f.start : f.end] for f in shared_detector().detect(text) if f.entity_type == "PERSON"]
    assert any(name in span for span in found), found


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("They had 4: Hans, Linda, Amber and Brendan.", "PERSON", "Amber"),
        ('Rafaela: "Who are you?" Laura: "I\'m Scott\'s daughter".', "PERSON", "Laura"),
        ("sometimes people call me philipp", "PERSON", "philipp"),
        ("Hi Ella, I'm contacting you about a wire transfer.", "PERSON", "Ella"),
        ("Bo spent a year at Itriage as an assistant.", "ORGANIZATION", "Itriage"),
        ("They're not answering at 96 237271", "PHONE_NUMBER", "96 237271"),
        ("Can someone call me on 21 212 133 2727?", "PHONE_NUMBER", "21 212 133 2727"),
        ("Gabon 66298 0319 3649187-Office", "PHONE_NUMBER", "3649187"),
        ("Shelby Araujo lives at 87 Jakobi 69, Laane", "STREET_ADDRESS", "87 Jakobi 69, Laane"),
        ("Deliver to Hauptstraße 5 or Vesturgata 66a.", "STREET_ADDRESS", "Hauptstraße 5"),
        ("Deliver to Kerkstraat 3 by noon.", "STREET_ADDRESS", "Kerkstraat 3"),
        ("Office: Alte Hauptstr. 12, Berlin", "STREET_ADDRESS", "Hauptstr. 12"),
    ],
)
def test_cues_conjuncts_and_labels(text: str, kind: str, value: str) -> None:
    found = [text[f.start : f.end] for f in shared_detector().detect(text) if f.entity_type == kind]
    assert any(value in span for span in found), found


@pytest.mark.parametrize("sep", ["\n", "\n ", "  ", "\n>", "\n??? "])
def test_address_block_is_one_finding_and_its_addressee_is_found(sep: str) -> None:
    lines = ["Natasha Higuchi", "Department of Better Technology", "78 Camiño Ancho 91", "Suite 286", "El Tornadizo"]
    text = sep.lstrip("\n") + sep.join(lines) + " Gabon 66298" if sep != "  " else "  ".join(lines) + "  Gabon 66298"
    findings = shared_detector().detect(text)
    blocks = [text[f.start : f.end] for f in findings if f.entity_type == "STREET_ADDRESS"]
    assert len(blocks) == 1 and blocks[0].startswith("78 Camiño") and blocks[0].endswith("66298"), blocks
    assert any("Better Technology" in text[f.start : f.end] for f in findings if f.entity_type == "ORGANIZATION")


def test_street_words_alone_and_mid_word_are_not_addresses() -> None:
    text = "the weg 5 of them; Ringo 12 went home; a strasse 7"
    assert not [f for f in shared_detector().detect(text) if f.entity_type == "STREET_ADDRESS"]


def test_url_recognizer_finds_what_presidio_finds() -> None:
    """The URL recognizer looks only at words with a dotted domain; it must find exactly what
    Presidio's looks for in the whole text, in every form its patterns take."""
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    from hybridgraph.tools.pii.nlp import DottedUrlRecognizer

    text = (
        'See "https://Example.COM/a?b=1" or www2.x.org, foo.bar.co.uk; (http://a-b.io/x) e.g. U.S.\n'
        "mail@x.de\u00a0abc.com\u2003x.net 'shop.example.net' and -.com at the end: docs.python.org/3"
    )
    stock = sorted((r.start, r.end, r.score) for r in UrlRecognizer().analyze(text, ["URL"]))
    ours = sorted((r.start, r.end, r.score) for r in DottedUrlRecognizer().analyze(text, ["URL"]))
    assert len(stock) >= 8 and ours == stock


def test_years_and_section_numbers_are_not_addresses() -> None:
    text = "12 Term and Termination\n12.1 This Agreement ends on 31 December\n 2027. Section 4 of Exhibit 2 applies."
    assert not [f for f in shared_detector().detect(text) if f.entity_type == "STREET_ADDRESS"]


def test_long_text_is_chunked_with_offsets_and_every_mention_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridgraph.tools.pii import detector as module

    monkeypatch.setattr(module, "CHUNK_CHARS", 900)
    monkeypatch.setattr(module, "CHUNK_OVERLAP", 120)
    para = "Contact Mr. Oskar Lindgren at oskar@nordwind.de about the delivery for the northern warehouse. "
    text = para * 40 + "In the end, Oskar Lindgren signed."  # the last mention has no cue of its own
    seen: list[int] = []
    findings = shared_detector().detect(text, progress=lambda done, total: seen.append(done))
    assert len(seen) > 3 and seen[-1] == len(text)
    assert all(text[f.start : f.end] for f in findings)
    emails = [f for f in findings if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 40 and all(text[f.start : f.end] == "oskar@nordwind.de" for f in emails)
    vault = Vault()
    redacted = pseudonymize(text, findings, vault)
    assert "Lindgren" not in redacted and "nordwind" not in redacted
