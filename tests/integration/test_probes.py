"""Hostile probes against the privacy boundary: what arrives at a recording cloud on loopback.

Contracts written for this test carry values an attacker or a careless writer hides from
detection (invisible characters, spelled-out e-mails, names in lower case, other scripts or broken
across lines, cards of every issuer, IPv6 in short form, labelled ID numbers). ``contract-review``
runs on them with a local model that always asks for escalation and a policy that sends every
clause to the cloud, restricted ones included: the widest opening there is. The cloud is
``python -m llama_cpp.server`` reached by LiteLLM over HTTP through a recording proxy, so each
case asserts on the bytes that actually arrived. Each probe is one test case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from conftest import CloudServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridgraph.catalog import Endpoint
from hybridgraph.models import ChatRequest, FunctionModel, open_model
from hybridgraph.models.egress import EgressGuard
from hybridgraph.tools.pii import Vault, pseudonymize
from hybridgraph.tools.pii.detector import shared_detector
from hybridgraph.tools.pii.normalize import canonical, strip_invisible

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Probe:
    """A value hidden in a clause, and the pieces of it that must never arrive."""

    name: str
    text: str
    needles: tuple[str, ...]
    restricted: bool = False  # a card, account or ID number: its document may never leave


PROBES = [
    Probe("iban-zero-width", "SE45\u200b5000 0000 0583 9825 7466", ("5000000005839825", "SE45"), True),
    Probe("card-18-digits", "6212 3456 7890 1234 57", ("621234567890123457",), True),
    Probe("card-18-visa-range", "4000 0123 4567 8901 20", ("400001234567890120",), True),
    Probe("card-maestro-12", "6759 4111 0008", ("675941110008",), True),
    Probe("card-zero-width", "5555\u200c5555\u200d5555\u20604444", ("5555555555554444",), True),
    Probe(
        "card-fullwidth",
        "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
        ("4111111111111111",),
        True,
    ),
    Probe("email-spelled", "john dot smith at northwind dot com", ("john dot smith", "northwind")),
    Probe("email-bracketed", "jsmith [at] kestrelmail [dot] co [dot] uk", ("jsmith", "kestrelmail")),
    Probe("name-lowercase-diacritics", "maría josé garcía", ("maría", "garcía", "maria", "garcia")),
    Probe("name-split-line", "Bartholomew\nFitzgerald-Huntington", ("Bartholomew", "Fitzgerald")),
    Probe("name-hyphen-break", "Anna-\nLena Marquardt", ("Marquardt", "Anna-")),
    Probe("party-split-line", "Lindqvist Freight\nSystems AB", ("Lindqvist",)),
    Probe("phone-extension", "+1 (212) 555-0187 ext. 4411", ("2125550187", "5550187")),
    Probe("phone-bare", "phone 4155550123", ("4155550123",)),
    Probe("passport", "Passport no. X1234567", ("X1234567",), True),
    Probe("arabic-name", "محمد الفارسي", ("محمد", "الفارسي")),
    Probe("rtl-marks", "Jonathan \u200fPryce\u200e-Whitaker", ("Pryce", "Whitaker")),
    Probe("ipv6-short", "2001:db8:0:1::7", ("2001:db8",)),
    Probe("name-zero-width", "Kris\u200btina Vogelsang", ("Vogelsang", "Kristina")),
]

# Clauses of the categories the review judges, each carrying probes in its text.
CLAUSES = [
    "9. Limitation of Liability. The Supplier's total liability under this Agreement shall not exceed the fees "
    "paid in the twelve (12) months before the claim. Claims go to {0}, card on file {1}.",
    "12. Governing Law. This Agreement is governed by the laws of Sweden. Disputes are handled by {0}, "
    "reachable at {1}.",
    "4. Renewal. This Agreement renews automatically for successive terms of three (3) years unless either "
    "party gives notice. Notices to {0} or {1}.",
    "14. Assignment. Neither party may assign this Agreement without the other's consent; the Customer's "
    "contact for consent is {0}, ID {1}.",
    "10. Audit. The Customer may audit the Supplier once a year on thirty days' notice, coordinated by {0} ({1}).",
    "8. Termination for Convenience. The Customer may terminate this Agreement for convenience on ninety "
    "(90) days' written notice to {0} at {1}.",
]


def _contracts(restricted: bool) -> list[str]:
    """Contracts holding the probes of one kind, two to a clause. Restricted values make their
    whole document restricted, so they are kept apart from the probes that may leave pseudonymised."""
    values = [p.text for p in PROBES if p.restricted is restricted]
    pairs = [values[i : i + 2] if i + 1 < len(values) else [values[i], values[0]] for i in range(0, len(values), 2)]
    header = (
        'SUPPLY AGREEMENT between Lindqvist Freight\nSystems AB ("Supplier") and Norrland Dairy AB ("Customer").\n\n'
    )
    contracts, clauses = [], []
    for k, pair in enumerate(pairs):
        clauses.append(CLAUSES[k % len(CLAUSES)].format(*pair))
        if len(clauses) == len(CLAUSES) or k == len(pairs) - 1:
            contracts.append(header + "\n\n".join(clauses) + "\n")
            clauses = []
    return contracts


@dataclass(frozen=True)
class Arrived:
    """What reached the cloud, and the sensitivity each probe contract was given."""

    texts: list[str]
    levels: dict[bool, set[str]]


ESCALATE_ALL = """
name: escalate-all
description: Every judgment goes to the cloud, pseudonymised, whatever its sensitivity.
local_endpoint: local-smollm2
cloud_endpoint: cloud-gpt
rules:
  - id: stop-after-two
    when: {attempt_at_least: 2}
    action: human
    reason: two escalations
  - id: always-cloud
    when: {verdict: [escalate]}
    action: cloud_redacted
    reason: the probe sends everything it may
default: local
"""


def _unsure(request: ChatRequest) -> str:
    return json.dumps({"status": "needs_review", "rule": "", "explanation": "unsure"})


@pytest.fixture(scope="module")
def arrived(cloud_server: CloudServer, tmp_path_factory: pytest.TempPathFactory) -> Arrived:
    """The text of every message that reached the cloud while ``contract-review`` ran on the probes."""
    from hybridgraph.graphs.pipeline import Pipeline

    folder = tmp_path_factory.mktemp("probes")
    policy = folder / "escalate-all.yaml"
    policy.write_text(ESCALATE_ALL)
    cloud = Endpoint(
        name="cloud-gpt",
        model="litellm:openai/gpt-test",
        zone="public",
        api_base=cloud_server.api_base,
        api_key_env="HYBRIDGRAPH_TEST_CLOUD_KEY",
        context_window=2048,
        structured_output="json_object",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("HYBRIDGRAPH_TEST_CLOUD_KEY", "sk-test-cloud-key")
    local = FunctionModel(_unsure, endpoint=Endpoint(name="local-smollm2", model="function:local"))
    shipped = Pipeline.load("contract-review")
    steps = [(s.id, s.agent, dict(s.config)) for s in shipped.spec.steps]
    pipeline = Pipeline.compose("contract-review", steps, policy=str(policy), clients=[local, open_model(cloud)])
    cloud_server.proxy.clear()
    levels: dict[bool, set[str]] = {True: set(), False: set()}
    try:
        for restricted in (True, False):
            for contract in _contracts(restricted):
                result = pipeline.run_sync(contract, source="probe.txt")
                levels[restricted].add(str(result.state["sensitivity"].value))
    finally:
        mp.undo()
    texts = []
    for request in cloud_server.proxy.requests():
        if request.body:
            body = json.loads(request.body)
            texts += [str(m.get("content", "")) for m in body.get("messages", [])]
    return Arrived(texts, levels)


def test_the_probes_reached_the_cloud_as_placeholders(arrived: Arrived) -> None:
    """Not vacuous: clauses with probes did go out, pseudonymised, and role words stayed readable;
    the documents with restricted probes were recognised as restricted and kept local."""
    assert arrived.levels == {True: {"restricted"}, False: {"confidential"}}
    assert len(arrived.texts) >= 4
    joined = "\n".join(arrived.texts)
    assert re.search(r"<(?:PERSON|ORG|CARD|EMAIL)_\d+>", joined)
    assert "Supplier" in joined and "Customer" in joined


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_no_raw_value_arrives(probe: Probe, arrived: Arrived) -> None:
    wire = canonical(strip_invisible("\n".join(arrived.texts))).text.casefold()
    digits = re.sub(r"\D", "", wire)
    for needle in probe.needles:
        plain = canonical(needle).text.casefold()
        assert plain not in wire, f"{probe.name}: part of the value arrived"
        if plain.isdigit():
            assert plain not in digits, f"{probe.name}: the digits arrived"


# Invisible characters and line breaks put inside values by hypothesis: the guard and the redactor
# must see through every placement.
SPOILERS = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202e"])


@st.composite
def spoiled(draw: st.DrawFn, value: str) -> str:
    """``value`` with up to three invisible characters, or a line break between its words, inserted."""
    chars = list(value)
    for _ in range(draw(st.integers(0, 3))):
        chars.insert(draw(st.integers(1, len(chars) - 1)), draw(SPOILERS))
    out = "".join(chars)
    if " " in out and draw(st.booleans()):
        out = out.replace(" ", "\n", 1)
    return out


VALUES = {
    "person": "Henrietta Lindgren",
    "iban": "DE89 3704 0044 0532 0130 00",
    "card": "4111 1111 1111 1111",
    "email": "h.lindgren@fjordline.no",
    "ssn": "536-90-4399",
}


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=spoiled(VALUES["person"]), iban=spoiled(VALUES["iban"]), card=spoiled(VALUES["card"]),
       email=spoiled(VALUES["email"]), ssn=spoiled(VALUES["ssn"]))  # fmt: skip
async def test_invisible_characters_and_line_breaks_never_carry_a_value_out(
    person: str, iban: str, card: str, email: str, ssn: str, cloud_endpoint: Endpoint, cloud_server: CloudServer
) -> None:
    text = f"Payee {person}, IBAN {iban}, card {card}, mail {email}, SSN {ssn}. Confirm the payee's terms."
    redacted = pseudonymize(text, shared_detector().detect(text), Vault())
    model = open_model(cloud_endpoint)
    assert model.layer(EgressGuard) is not None
    cloud_server.proxy.clear()
    await model.complete(ChatRequest.from_prompt(f"Repeat the following text exactly:\n{redacted}", max_tokens=8))
    wire = canonical(strip_invisible(cloud_server.proxy.raw.decode("utf-8", "replace"))).text
    digits = re.sub(r"\D", "", wire)
    assert "Lindgren" not in wire and "Henrietta" not in wire
    assert "lindgren@" not in wire.casefold()
    for number in ("89370400440532013000", "4111111111111111", "536904399"):
        assert number not in digits


def test_the_guard_refuses_invisible_characters_whatever_else_it_finds() -> None:
    """A payload with a zero-width character is blocked even when the scanner finds nothing."""
    import asyncio

    from hybridgraph.errors import EgressBlocked

    endpoint = Endpoint(name="cloud", model="function:cloud", zone="public")
    guard = EgressGuard(FunctionModel(lambda r: "ok", endpoint=endpoint), scanner=lambda text: [])
    with pytest.raises(EgressBlocked) as caught:
        asyncio.run(guard.complete(ChatRequest.from_prompt("harmless\u200btext")))
    assert caught.value.counts == {"INVISIBLE_CONTROL": 1}
    assert asyncio.run(guard.complete(ChatRequest.from_prompt("harmless text"))).text == "ok"


def test_probe_contracts_hold_every_probe() -> None:
    joined = "".join(_contracts(True) + _contracts(False))
    assert all(p.text in joined for p in PROBES)
