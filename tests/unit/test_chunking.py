"""Contract chunking, joining by sensitivity, and the BM25 sparse encoder."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridgraph.tools.chunking import Chunk, join_chunks, split_contract
from hybridgraph.tools.sparse import Bm25Encoder, StemmedBm25Encoder

CONTRACT = "\n\n".join(
    f"{n}. {title}. " + ("The Supplier shall comply with this section in full. " * 6)
    for n, title in enumerate(["Term", "Liability", "Governing Law", "Assignment", "Audit"], start=1)
)


def test_sections_are_chunks_with_their_headings() -> None:
    chunks = split_contract(CONTRACT, target=400, limit=600)
    assert [c.section.split(".")[0] for c in chunks] == ["1", "2", "3", "4", "5"]
    assert all(CONTRACT[c.start : c.end].lstrip().startswith(c.section) for c in chunks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_unnumbered_headings_after_a_blank_line_start_sections() -> None:
    body = "The Supplier shall comply with this section in full. " * 3
    text = (
        f"SUPPLY AGREEMENT\n\nTERM AND RENEWAL\n{body}\n\n## Governing law\n{body}\n\n"
        f"IN NO EVENT SHALL EITHER PARTY\nBE LIABLE FOR LOST PROFITS\nOR DATA.\n\nAUDIT\n{body}"
    )
    chunks = split_contract(text, target=200, limit=400)
    assert [c.section for c in chunks] == [
        "SUPPLY AGREEMENT",
        "TERM AND RENEWAL",
        "## Governing law",
        "IN NO EVENT SHALL EITHER PARTY",  # a paragraph in capitals opens like a heading...
        "AUDIT",
    ]
    # ...but its wrapped lines do not: they follow a line of text, not a blank one
    assert not any(text[c.start :].startswith("BE LIABLE") for c in chunks)
    assert all(text[c.start : c.end].lstrip().startswith(c.section) for c in chunks)
    lowercase = "Term and renewal\n\nsupply terms\n" + body
    assert [c.section for c in split_contract(lowercase, target=200, limit=400)] == [""]


def test_joining_keeps_levels_apart_and_respects_the_size() -> None:
    chunks = split_contract(CONTRACT, target=400, limit=600)
    groups = join_chunks(chunks, ["internal", "internal", "restricted", "internal", "internal"], join=900)
    assert [len(g) for g in groups] == [2, 1, 2]
    assert all(chunks[g[-1]].end - chunks[g[0]].start <= 900 for g in groups)
    assert join_chunks(chunks, ["a"] * 5, join=100) == [[i] for i in range(5)]


@given(st.lists(st.tuples(st.integers(1, 400), st.sampled_from("ab")), min_size=1, max_size=30), st.integers(1, 1500))
def test_join_groups_are_consecutive_and_complete(sizes: list[tuple[int, str]], join: int) -> None:
    chunks, start = [], 0
    for size, _ in sizes:
        chunks.append(Chunk(start, start + size, ""))
        start += size
    kinds = [kind for _, kind in sizes]
    groups = join_chunks(chunks, kinds, join)
    assert [i for g in groups for i in g] == list(range(len(chunks)))
    for g in groups:
        assert len({kinds[i] for i in g}) == 1
        assert len(g) == 1 or chunks[g[-1]].end - chunks[g[0]].start <= join


def test_bm25_terms_are_words_and_the_finders_are_stems() -> None:
    assert Bm25Encoder().terms("Terminates TERMINATION, terminated") == ["terminates", "termination", "terminated"]
    assert StemmedBm25Encoder().terms("Terminates TERMINATION terminated") == ["termin"] * 3
    words, stems = Bm25Encoder().query("termination notice"), StemmedBm25Encoder().query("termination notice")
    assert words.indices != stems.indices and words.values == stems.values == [1.0, 1.0]


@pytest.mark.parametrize("encoder", [Bm25Encoder(), StemmedBm25Encoder()], ids=["words", "stems"])
def test_bm25_vectors_saturate_and_normalise(encoder: Bm25Encoder) -> None:
    once, thrice = encoder.passage("termination notice"), encoder.passage("termination termination termination notice")
    assert len(once.indices) == len(once.values) == 2 and once.indices == sorted(once.indices)
    weight = dict(zip(thrice.indices, thrice.values, strict=True))
    single = dict(zip(once.indices, once.values, strict=True))
    stem = next(i for i in thrice.indices if weight[i] > single[i])
    assert weight[stem] < 3 * single[stem]  # saturation
    assert weight[stem] < encoder.k1 + 1
    query = encoder.query("notice notice termination")
    assert sorted(query.values) == [1.0, 2.0]
    assert encoder.query("?!").indices == []
