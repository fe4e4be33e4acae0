"""The canonical form detection works on, and the way back to the original's offsets."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from hybridgraph.tools.pii.findings import Finding
from hybridgraph.tools.pii.normalize import INVISIBLE, canonical, invisible_count, strip_invisible
from hybridgraph.tools.pii.vault import Vault, pseudonymize

HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202e", "\u2066", "\x00"]


def _span_of(form_text: str, value: str) -> Finding:
    start = form_text.index(value)
    return Finding(start, start + len(value), "X", 1.0)


def test_plain_ascii_prose_is_its_own_canonical_form() -> None:
    text = "The Supplier shall pay the Customer within 30 days."
    form = canonical(text)
    assert form.text == text
    assert not form.changed


def test_invisible_characters_are_removed_and_the_value_maps_back_whole() -> None:
    text = "Pay to SE45\u200b5000 0000 0583 9825 7466 today"
    form = canonical(text)
    assert form.text == "Pay to SE455000 0000 0583 9825 7466 today"
    (found,) = form.original([_span_of(form.text, "SE455000 0000 0583 9825 7466")])
    assert text[found.start : found.end] == "SE45\u200b5000 0000 0583 9825 7466"


def test_nfkc_turns_fullwidth_digits_and_ligatures_into_plain_ones() -> None:
    form = canonical("card \uff14\uff11\uff11\uff11 \ufb01le")
    assert form.text == "card 4111 file"


def test_combining_marks_compose_and_map_back_to_the_decomposed_original() -> None:
    text = "Jose\u0301 Garci\u0301a signed"
    form = canonical(text)
    assert form.text == "José García signed"
    (found,) = form.original([_span_of(form.text, "José García")])
    assert text[found.start : found.end] == "Jose\u0301 Garci\u0301a"


def test_names_broken_across_lines_are_joined_but_labels_and_sentences_are_not() -> None:
    assert canonical("between Lindqvist Freight\nSystems AB and").text == "between Lindqvist Freight Systems AB and"
    assert (
        canonical("signed by Bartholomew\n  Fitzgerald-Huntington").text
        == "signed by Bartholomew Fitzgerald-Huntington"
    )
    assert canonical("Laura Gorski\nMinistry of Agriculture").text == "Laura Gorski\nMinistry of Agriculture"
    assert canonical("Anna-\nLena Berg").text == "Anna-Lena Berg"
    assert canonical("By: John Smith\nTitle: CEO").text == "By: John Smith\nTitle: CEO"
    assert canonical("Section 4 Termination\nThe Supplier may").text == "Section 4 Termination\nThe Supplier may"
    assert canonical("payment terms\nshall apply").text == "payment terms\nshall apply"


def test_line_and_paragraph_separators_become_line_breaks() -> None:
    assert canonical("one\u2028two\u2029three").text == "one\ntwo\nthree"


def test_a_finding_after_a_removed_character_does_not_take_it() -> None:
    text = "x\u200bJohn"
    form = canonical(text)
    (found,) = form.original([_span_of(form.text, "John")])
    assert (found.start, found.end) == (2, 6)


def test_invisible_count_and_strip() -> None:
    text = "a\u200bb\u202ec\x00d\ufe0f"
    assert invisible_count(text) == 4
    assert strip_invisible(text) == "abcd"
    assert invisible_count("tabs\tand\nnewlines\rstay") == 0


def test_pseudonymised_text_carries_no_invisible_characters() -> None:
    text = "Contact\u200b Jane\u200dDoe\u202e now"
    name = text.index("Jane")
    out = pseudonymize(text, [Finding(name, name + len("Jane\u200dDoe"), "PERSON", 1.0)], Vault())
    assert out == "Contact <PERSON_1> now"
    assert INVISIBLE.search(out) is None


_VALUE = st.text(alphabet="ABCDEFGHabcdefgh0123456789", min_size=3, max_size=12)


@given(
    before=st.text(alphabet="abc \n", max_size=10),
    value=_VALUE,
    after=st.text(alphabet="abc \n", max_size=10),
    hidden=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(HIDDEN)), max_size=4),
)
def test_a_value_with_hidden_characters_inside_maps_back_to_all_of_it(
    before: str, value: str, after: str, hidden: list[tuple[int, str]]
) -> None:
    """Whatever is hidden inside a value, its canonical span maps back to an original span that
    holds every visible character of the value and nothing of its surroundings."""
    spoiled = value
    for position, char in sorted(hidden, reverse=True):
        cut = min(position, len(spoiled))
        spoiled = spoiled[:cut] + char + spoiled[cut:]
    text = f"{before}[{spoiled}]{after}"
    form = canonical(text)
    assert unicodedata.is_normalized("NFKC", form.text)
    start = form.text.index("[") + 1
    (found,) = form.original([Finding(start, start + len(value), "X", 1.0)])
    assert strip_invisible(text[found.start : found.end]) == value
    assert text[found.start - 1] in "[" + "".join(HIDDEN)
    assert text[found.end] in "]" + "".join(HIDDEN)
