from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridgraph.errors import EgressBlocked
from hybridgraph.models import ChatRequest, FunctionModel
from hybridgraph.models.egress import EgressGuard
from hybridgraph.tools.pii import Finding, Vault, detector, pseudonymize, resolve_overlaps, restore


def test_same_value_same_token_ignoring_case_and_spacing() -> None:
    vault = Vault()
    a = vault.token_for("PERSON", "John  Smith")
    assert vault.token_for("PERSON", "john smith") == a == "<PERSON_1>"
    assert vault.token_for("PERSON", "Jane Doe") == "<PERSON_2>"
    assert vault.token_for("ORG", "Acme GmbH") == "<ORG_1>"
    assert vault.value_of(a) == "John  Smith"
    assert "John" not in repr(vault)


def test_pseudonymize_replaces_findings_and_resolves_overlaps() -> None:
    text = "Mail john@acme.com to John Smith."
    findings = [Finding(5, 18, "EMAIL_ADDRESS", 1.0), Finding(10, 18, "URL", 0.5), Finding(22, 32, "PERSON", 0.85)]
    vault = Vault()
    assert pseudonymize(text, findings, vault) == "Mail <EMAIL_1> to <PERSON_1>."
    assert resolve_overlaps(findings) == [findings[0], findings[2]]


@pytest.mark.parametrize(
    "mangled",
    [
        "<PERSON_1>",
        "<person_1>",
        "PERSON_1",
        "&lt;PERSON_1&gt;",
        "[PERSON_1]",
        "< PERSON_1 >",
        "<PERSON_\n1>",
        "<PERSON-1>",
    ],
)
def test_restore_tolerates_reformatting(mangled: str) -> None:
    vault = Vault()
    vault.token_for("PERSON", "John Smith")
    assert restore(f"Ask {mangled}'s team.", vault).text == "Ask John Smith's team."


def test_restore_reports_unknown_tokens_and_leaves_ordinary_text() -> None:
    vault = Vault()
    vault.token_for("ORG", "Acme GmbH")
    result = restore("<ORG_1> and <ORG_7> met about COVID-19 and ORG_1.", vault)
    assert result.text == "Acme GmbH and <ORG_7> met about COVID-19 and Acme GmbH."
    assert result.unrestored == ("<ORG_7>",)


@given(st.lists(st.sampled_from(["Ann Lee", "Bo Park", "Acme AG", "ann  lee"]), min_size=1, max_size=8))
def test_round_trip(values: list[str]) -> None:
    text = " | ".join(values)
    findings, cursor = [], 0
    for v in values:
        findings.append(Finding(cursor, cursor + len(v), "ORGANIZATION" if "AG" in v else "PERSON", 0.9))
        cursor += len(v) + 3
    vault = Vault()
    redacted = pseudonymize(text, findings, vault)
    assert not any(v in redacted for v in values)
    restored = restore(redacted, vault).text
    assert [" ".join(p.split()).casefold() for p in restored.split(" | ")] == [
        " ".join(v.split()).casefold() for v in values
    ]


def scanner(text: str) -> list[Finding]:
    found = []
    for word, kind in (("Smith", "PERSON"), ("France", "LOCATION"), ("<PERSON_1>", "PERSON")):
        start = text.find(word)
        if start >= 0:
            found.append(Finding(start, start + len(word), kind, 0.9))
    return found


async def test_guard_blocks_before_the_call_and_reports_counts_only() -> None:
    inner = FunctionModel(lambda r: "ok", zone="public")
    verdicts = []
    guard = EgressGuard(inner, scanner, on_verdict=verdicts.append)
    with pytest.raises(EgressBlocked) as info:
        await guard.complete(ChatRequest.from_prompt("Is Smith liable?"))
    assert info.value.counts == {"PERSON": 1}
    assert "Smith" not in str(info.value)
    assert inner.calls == []  # the call was never made
    assert verdicts == guard.verdicts and not verdicts[0].allowed
    with pytest.raises(EgressBlocked):
        async for _ in guard.stream(ChatRequest.from_prompt("Smith")):
            pass
    assert inner.calls == []


async def test_guard_lets_placeholders_and_allowed_types_through() -> None:
    inner = FunctionModel(lambda r: "ok", zone="public")
    guard = EgressGuard(inner, scanner)
    answer = await guard.complete(ChatRequest.from_prompt("Is <PERSON_1> in France?"))
    assert answer.text == "ok" and guard.verdicts[-1].allowed and len(inner.calls) == 1


def _rank(f: Finding) -> tuple[float, int, int]:
    return (-f.score, -(f.end - f.start), f.start)


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12), st.floats(0, 1)), max_size=40))
def test_resolve_overlaps_keeps_a_disjoint_best_first_cover(spans: list[tuple[int, int, float]]) -> None:
    findings = [Finding(s, s + n, "PERSON", score) for s, n, score in spans]
    kept = resolve_overlaps(findings)
    assert kept == sorted(kept)
    assert all(a.end <= b.start for a, b in itertools.pairwise(kept))
    for f in findings:  # each dropped finding lost to an overlapping one that ranks no lower
        if f not in kept:
            assert any(k.overlaps(f) and _rank(k) <= _rank(f) for k in kept)


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=400), st.integers(20, 60), st.integers(0, 15))
def test_chunks_cover_the_text_in_order(text: str, size: int, overlap: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(detector, "CHUNK_CHARS", size)
        mp.setattr(detector, "CHUNK_OVERLAP", overlap)
        pieces = list(detector.chunks(text))
    assert pieces[0][0] == 0 and pieces[-1][0] + len(pieces[-1][1]) == len(text)
    for (start, chunk), (next_start, _) in itertools.pairwise(pieces):
        assert text[start : start + len(chunk)] == chunk
        assert start < next_start <= start + len(chunk)  # progress, and no gap


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=400), st.integers(1, 4))
def test_split_covers_the_text_in_overlapping_pieces(text: str, parts: int) -> None:
    from hybridgraph.tools.pii.parallel import split

    pieces = split(text, parts)
    assert len(pieces) == parts
    assert pieces[0][0] == 0 and pieces[-1][0] + len(pieces[-1][1]) == len(text)
    for (start, piece), (next_start, _) in itertools.pairwise(pieces):
        assert text[start : start + len(piece)] == piece
        assert start <= next_start <= start + len(piece)  # no gap


def test_role_terms_are_defined_roles_not_short_names() -> None:
    from hybridgraph.tools.pii.detector import role_terms

    text = (
        'between Acme Logistics GmbH ("Supplier") and Northwind Retail Ltd (the "Buyer"); '
        'Detto Technologies, Inc. ("Detto"); each a "Party"; Tom Watson (hereinafter "Service Provider").'
    )
    assert role_terms(text) == {"supplier", "buyer", "service provider"}
    assert role_terms('Supplier Corp ("Supplier")') == frozenset()  # the role word is in the name
