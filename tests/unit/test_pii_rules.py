"""Recognizers that find values by their rules: each rule with test data written for it here.

Card numbers are generated from issuer prefixes with a computed Luhn digit, so no list of sample
numbers is learned; the other cases are written for this file.
"""

from __future__ import annotations

import random

import pytest

from hybridgraph.tools.pii.names import (
    DiacriticNameRecognizer,
    ForeignScriptNameRecognizer,
    lowercase_organisations,
    lowercase_paragraphs,
    truecased,
)
from hybridgraph.tools.pii.structured import (
    CardNumberRecognizer,
    IdDocumentRecognizer,
    Ipv6Recognizer,
    ObfuscatedEmailRecognizer,
    is_card_number,
    luhn_valid,
)


def _found(recognizer: object, text: str) -> list[str]:
    return [text[r.start : r.end] for r in recognizer.analyze(text, [])]  # type: ignore[attr-defined]


def _with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


def _card(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return _with_check_digit(body)


# (scheme, prefix, lengths): one issuer range of each scheme, several lengths where it has them.
SCHEMES = [
    ("Visa", "4", (13, 16, 19)),
    ("Mastercard", "53", (16,)),
    ("Mastercard 2-series", "2720", (16,)),
    ("Amex", "37", (15,)),
    ("Discover", "6011", (16, 19)),
    ("JCB", "3530", (16, 19)),
    ("UnionPay", "62", (16, 17, 18, 19)),
    ("Maestro", "6759", (12, 13, 19)),
    ("Mir", "2202", (16, 19)),
    ("Diners", "36", (14,)),
    ("RuPay", "8171", (16,)),
    ("UATP", "1", (15,)),
]


@pytest.mark.parametrize(("scheme", "prefix", "lengths"), SCHEMES, ids=[s[0] for s in SCHEMES])
def test_every_scheme_and_length_is_found_in_any_grouping(scheme: str, prefix: str, lengths: tuple[int, ...]) -> None:
    rng = random.Random(scheme)
    recognizer = CardNumberRecognizer()
    for length in lengths:
        number = _card(prefix, length, rng)
        assert is_card_number(number)
        groupings = [
            number,
            " ".join(number[i : i + 4] for i in range(0, length, 4)),
            "-".join(number[i : i + 4] for i in range(0, length, 4)),
            f"{number[:4]} {number[4:10]} {number[10:]}",
            ".".join(number[i : i + 3] for i in range(0, length, 3)),
        ]
        for written in groupings:
            text = f"Charge card {written} for the renewal."
            assert _found(recognizer, text) == [written], (scheme, length, written)


def test_a_card_followed_by_its_expiry_is_found_without_the_expiry() -> None:
    number = _card("4", 16, random.Random(1))
    written = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert _found(CardNumberRecognizer(), f"card {written} 12 29 cvc") == [written]


def test_numbers_that_fail_luhn_or_have_no_issuer_are_not_cards() -> None:
    rng = random.Random(7)
    good = _card("5", 16, rng)
    bad_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    no_issuer = _with_check_digit("0" + "".join(rng.choice("0123456789") for _ in range(14)))
    recognizer = CardNumberRecognizer()
    for number in (bad_check, no_issuer, "2019-01-01", "1,000,000.00", "12 345 678"):
        assert _found(recognizer, f"value {number} here") == [], number


@pytest.mark.parametrize(
    "address",
    [
        "2001:db8::1",
        "2001:0db8:0000:0000:0000:ff00:0042:8329",
        "2001:db8:0:0:1:0:0:1",
        "fe80::1ff:fe23:4567:890a%eth0",
        "::1",
        "::ffff:192.0.2.128",
        "64:ff9b::c000:221",
        "2001:DB8:A:B:C:D:E:F",
        "a:b:c:d:e:f:0:1",
    ],
)
def test_ipv6_in_every_textual_form(address: str) -> None:
    assert _found(Ipv6Recognizer(), f"The host at {address} answered.") == [address]


def test_times_and_ratios_are_not_ipv6() -> None:
    assert _found(Ipv6Recognizer(), "at 12:30:45 the ratio 3:1 and :: alone") == []


@pytest.mark.parametrize(
    "written",
    [
        "john dot smith at northwind dot com",
        "jsmith [at] northwind [dot] co [dot] uk",
        "j.smith(at)example.org",
        "m_ortega {at} correo {dot} es",
        "anna AT firm DOT de",
        "ops@helpdesk dot io",
    ],
)
def test_spelled_out_email_addresses(written: str) -> None:
    assert _found(ObfuscatedEmailRecognizer(), f"Write to {written} today.") == [written]


def test_ordinary_at_phrases_are_not_addresses() -> None:
    text = "Meet at noon. It is available at example.com and payable at sight dot matrix printers."
    assert _found(ObfuscatedEmailRecognizer(), text) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Passport no. X1234567 issued in Oslo", "X1234567"),
        ("passport number: 533380006", "533380006"),
        ("ID card No 12AB34567", "12AB34567"),
        ("her driver's licence D123-4567-8901", "D123-4567-8901"),
        ("National Insurance number QQ123456C", "QQ123456C"),
        ("Residence permit #RP0099812", "RP0099812"),
    ],
)
def test_identity_numbers_after_their_label(text: str, number: str) -> None:
    assert _found(IdDocumentRecognizer(), text) == [number]


def test_labels_without_a_number_are_left_alone() -> None:
    text = "Each party shall show a passport or an ID card. The licence fee is due."
    assert _found(IdDocumentRecognizer(), text) == []


def test_names_in_other_scripts() -> None:
    recognizer = ForeignScriptNameRecognizer()
    assert _found(recognizer, "Signed by محمد بن سلمان on behalf of the Buyer.") == ["محمد بن سلمان"]
    assert _found(recognizer, "Contact Дмитрий Шостакович or 王小明 directly.") == ["Дмитрий Шостакович", "王小明"]
    assert _found(recognizer, "Plain English text only.") == []


def test_names_with_diacritics_in_any_case() -> None:
    recognizer = DiacriticNameRecognizer()
    assert _found(recognizer, "the agent maría josé garcía called") == ["agent maría josé garcía"]
    assert _found(recognizer, "follow up with tracy wiśniewska in 2 months") == ["tracy wiśniewska"]
    assert _found(recognizer, "Approved by Zoë Brontë today") == ["Zoë Brontë"]
    assert _found(recognizer, "A café with a façade and a résumé") == []


def test_lowercase_paragraphs_are_truecased_without_changing_length() -> None:
    text = "Heading\nwrapped line of prose\n\nshe named him joshua\nof berlin\n\nMixed Case line"
    (span,) = lowercase_paragraphs(text)
    assert text[span[0] : span[1]] == "she named him joshua\nof berlin"
    line = "she named him joshua"
    assert truecased(line) == "she named him Joshua"
    assert len(truecased("ßtraße über")) == len("ßtraße über")


def test_instructions_in_lower_case_stay_lower_case() -> None:
    text = "does the text contain a liability clause? answer as a json object with keys found and quotes signed"
    assert truecased(text) == text


def test_organisations_with_a_legal_form_in_lower_case() -> None:
    text = "recorded for think computer corporation, then firstpoint inc. and the insurance company paid"
    found = [text[a:b] for a, b in lowercase_organisations(text)]
    assert found == ["think computer corporation", "firstpoint inc."]


def test_a_partly_found_name_is_widened_by_uncommon_capitalised_neighbours() -> None:
    from hybridgraph.tools.pii.findings import Finding
    from hybridgraph.tools.pii.names import extended_names

    text = "Payee Henrietta\nLindgren signed. Laura Gorski\nMinistry of Agriculture"
    lindgren = text.index("Lindgren")
    (widened,) = extended_names(text, [Finding(lindgren, lindgren + 8, "PERSON", 0.85)])
    assert text[widened.start : widened.end] == "Henrietta\nLindgren" and widened.score > 0.85
    gorski = text.index("Laura")
    assert extended_names(text, [Finding(gorski, gorski + 12, "PERSON", 0.85)]) == []


def test_numbers_broken_across_a_line_are_still_cards_and_ibans() -> None:
    from hybridgraph.tools.pii.structured import IbanCheckRecognizer

    assert _found(CardNumberRecognizer(), "card 4111\n1111 1111 1111 ok") == ["4111\n1111 1111 1111"]
    assert _found(IbanCheckRecognizer(), "IBAN DE89\n3704 0044 0532 0130 00 ok") == ["DE89\n3704 0044 0532 0130 00"]


def test_the_name_before_an_address_and_above_one_with_its_house_number() -> None:
    from hybridgraph.tools.pii.layout import addressee_lines

    text = "We'll meet at Weeks-Rivas, 50 Massbyntie 27, Järvenpää"
    street = text.index("Massbyntie")
    assert [text[f.start : f.end] for f in addressee_lines(text, [street])] == ["Weeks-Rivas"]
    letterhead = "Michael Fleischer\nSoul Sounds Unlimited\n63 Ommerweg 159 Suite 287"
    street = letterhead.index("Ommerweg")
    lines = {letterhead[f.start : f.end] for f in addressee_lines(letterhead, [street])}
    assert lines == {"Michael Fleischer", "Soul Sounds Unlimited"}
    assert addressee_lines("Section 5, 12 Main Street", [11]) == []
