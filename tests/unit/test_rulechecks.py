"""Rule checks: durations, the measures on contract wording, the ``check:`` syntax and its errors,
the shipped checklist on the sample contract, and the verifier's use of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridgraph.agents.tasks import judge_task
from hybridgraph.agents.verifier import verify_answer
from hybridgraph.errors import ConfigError
from hybridgraph.graphs.spec import PipelineSpec
from hybridgraph.tools.checklist import load_checklist
from hybridgraph.tools.rulechecks import MEASURES, durations, parse_checks
from hybridgraph.yamlconfig import validate_yaml_text

ROOT = Path(__file__).resolve().parents[2]


def test_durations_read_words_digits_and_both() -> None:
    text = (
        "one hundred and eighty (180) days, 90 days, a twelve-month period, sixty days, two (2) years, "
        "48 hours, forty-five (45) calendar days, thirty business days"
    )
    assert [round(d.days, 2) for d in durations(text)] == [180, 90, 365, 60, 730, 2, 45, 30]
    assert durations(text)[0].text == "one hundred and eighty (180) days"
    assert durations("the term of this agreement; the fees; 2024") == []


@pytest.mark.parametrize(
    ("measure", "text", "values"),
    [
        (
            "renewal term",
            "This Agreement shall automatically renew for successive renewal terms of two (2) years each, unless "
            "either party gives written notice of non-renewal at least ninety (90) days before the end of the term.",
            [730.0],
        ),
        ("renewal term", "The initial term is five (5) years, and it then renews for one-year periods.", [365.0]),
        ("renewal term", "The Agreement expires after three (3) years.", []),
        (
            "renewal notice",
            "It renews for one year periods unless a party gives notice at least sixty (60) days prior to expiration.",
            [60.0],
        ),
        ("renewal notice", "It renews unless either party gives notice of non-renewal of at least 120 days.", [120.0]),
        ("initial term", "The initial term of this Agreement is four (4) years.", [1460.0]),
        (
            "convenience notice",
            "Customer may terminate this Agreement for convenience on thirty (30) days' written notice.",
            [30.0],
        ),
        ("convenience notice", "Either party may terminate for material breach on 30 days' notice.", []),
        ("cure period", "if the breach is not cured within ninety (90) days of notice", [90.0]),
        (
            "liability cap period",
            "Supplier's liability shall not exceed the fees paid in the three (3) months preceding the claim.",
            [pytest.approx(91.25)],
        ),
        ("audit notice", "Customer may audit Supplier's records on forty-five (45) days' notice.", [45.0]),
        ("audit interval", "Customer may audit no more than once every two (2) years.", [730.0]),
        ("audit interval", "Customer may inspect the books not more than once per calendar year.", [365.0]),
        ("governing law", "This Agreement is governed by the laws of the State of New York.", ["New York"]),
        ("governing law", "It shall be construed under the laws of the Federal Republic of Germany.", ["Germany"]),
        ("governing law", "This Agreement is governed by English law.", ["England"]),
        ("governing law", "This Agreement is governed by the laws of <LOCATION_1>.", []),
        ("termination fee", "Customer may terminate for convenience subject to a termination fee of $5,000.", True),
        ("termination fee", "Customer may terminate for convenience without penalty or termination fee.", False),
        ("unlimited buyer liability", "Customer's liability for breach of clause 9 shall be unlimited.", True),
        ("unlimited buyer liability", "Nothing limits either party's liability for fraud or death.", False),
        ("buyer liquidated damages", "Customer shall pay liquidated damages of 2% per week of delay.", True),
        ("buyer liquidated damages", "Supplier shall pay Customer, as liquidated damages, 1% per day.", False),
        (
            "supplier consent to buyer assignment",
            "Neither party may assign this Agreement without the prior written consent of the other party.",
            True,
        ),
        (
            "supplier consent to buyer assignment",
            "Neither party may assign without consent, except to an Affiliate or a successor in a merger.",
            False,
        ),
        ("free supplier assignment", "Supplier may assign this Agreement to its affiliates without consent.", True),
        ("free supplier assignment", "Supplier shall not assign this Agreement without Customer's consent.", False),
        (
            "supplier exit on buyer change of control",
            "If Customer undergoes a change of control, Supplier may terminate this Agreement.",
            True,
        ),
        (
            "supplier exit on buyer change of control",
            "If Supplier undergoes a change of control, Customer may terminate this Agreement.",
            False,
        ),
    ],
)
def test_each_measure_reads_its_wording(measure: str, text: str, values: object) -> None:
    assert MEASURES[measure].read(text) == values


SHIPPED = load_checklist("builtin:procurement-checklist")


@pytest.mark.parametrize(
    ("rule", "text", "breached"),
    [
        (
            "R-11",
            "Customer may terminate for convenience on 30 days' notice without payment of any fee or penalty.",
            False,
        ),
        ("R-11", "Customer may terminate for convenience without liability, termination charge or penalty.", False),
        (
            "R-11",
            "On early termination, Supplier shall refund prepaid Fees. Customer may terminate for convenience.",
            False,
        ),
        (
            "R-11",
            "Customer may terminate for convenience on thirty (30) days' notice. Supplier may terminate for "
            "convenience on one hundred eighty (180) days' notice.",
            False,  # the supplier's own notice is R-12's
        ),
        (
            "R-01",
            "Supplier's liability shall not exceed the fees paid in the 12 months, and claims expire in 6 months.",
            False,
        ),
        (
            "R-01",
            "Customer's aggregate liability shall not exceed the fees paid in the three (3) months before.",
            False,
        ),
        ("R-01", "Supplier's aggregate liability shall not exceed the fees paid in the three (3) months before.", True),
        (
            "R-04",
            "Customer's liability shall be limited to the Fees, and Supplier's liability shall be uncapped.",
            False,
        ),
        (
            "R-06",
            "Supplier shall pay liquidated damages of 1% per day, and Customer shall pay the remaining Fees.",
            False,
        ),
        ("R-06", "Customer shall pay Supplier liquidated damages equal to three months' fees.", True),
        ("R-17", "Supplier may assign its right to payment, but may not assign this Agreement without consent.", False),
        (
            "R-20",
            "Customer may terminate on a change of control of Supplier, and Supplier may terminate on non-payment.",
            False,
        ),
        ("R-20", "Upon a change of control of Customer, Supplier may terminate this Agreement.", True),
        (
            "R-09",
            "It renews for successive one (1) year periods, but the total term shall not exceed five (5) years.",
            False,
        ),
        ("R-09", "Unless extended by the parties, this Agreement shall remain in force for three (3) years.", False),
        ("R-10", "Supplier shall give notice of a price increase at least 120 days before the end of the term.", False),
        (
            "R-15",
            "This Agreement is governed by the laws of the United States of America and the State of New York.",
            False,
        ),
        (
            "R-15",
            "This Agreement is governed by New York law, subject to the export control laws of the United States.",
            False,
        ),
        ("R-15", "The laws of the Customer's country of residence shall apply to this Agreement.", False),
        ("R-15", "This Agreement is governed by the laws of the State of <LOCATION_1>.", False),
        ("R-15", "Swedish law applies to this Agreement.", True),
        ("R-15", "This Agreement is governed by the laws of the People's Republic of China.", True),
    ],
)
def test_the_shipped_checks_on_wording_that_misled_earlier_versions(rule: str, text: str, breached: bool) -> None:
    checks = [c for r in SHIPPED.rules for c in r.checks if c.rule == rule]
    assert any(c.breaches(text) for c in checks) is breached


def test_measures_take_linear_time_on_long_or_unpunctuated_text() -> None:
    import time

    started = time.perf_counter()
    durations("one " * 20_000)  # number words with no unit: no backtracking over the run
    for measure in MEASURES.values():
        measure.read("renew 30 days " * 10_000)  # 140 kB without a sentence end
    assert time.perf_counter() - started < 10  # about 0.4 s here; quadratic patterns took minutes


def test_a_check_reports_the_measured_value_and_the_limit() -> None:
    (renewal,) = parse_checks("R-09", "renewal term at most 1 year")
    clause = "It renews for successive terms of two (2) years. Either party may end it on 90 days' notice."
    assert renewal.breaches(clause) == ["R-09: the renewal term is 2 years; the rule allows at most 1 year"]
    assert renewal.breaches("It renews for successive twelve (12) month periods.") == []  # 12 months = 1 year
    assert renewal.breaches("It renews for successive 365 day periods.") == []
    assert renewal.breaches("Payment is due in 60 days.") == []  # nothing measured: no breach
    (cap,) = parse_checks("R-01", "liability cap period at least 12 months")
    assert cap.breaches("Liability shall not exceed the fees paid in the six (6) months before the claim.") == [
        "R-01: the liability cap period is 6 months; the rule allows at least 1 year"
    ]
    law, fee = parse_checks("R-15", "governing law one of Germany | England ; no termination fee")
    assert law.breaches("This Agreement is governed by the laws of England and Wales.") == []
    assert law.breaches("This Agreement is governed by the laws of the State of Delaware.") == [
        "R-15: the governing law is Delaware, not one of Germany, England"
    ]
    assert fee.breaches("Customer may terminate for convenience upon payment of an early termination fee.") == [
        "R-15: the clause charges a fee or penalty for terminating"
    ]


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("renewal trem at most 1 year", "unknown measure 'renewal trem'", "did you mean 'renewal term'?"),
        ("renewal term below 1 year", "cannot read the check 'renewal term below 1 year'", "MEASURE at most N"),
        ("governing law at most 1 year", "'governing law' is not a duration", "no governing law"),
        ("termination fee one of A | B", "'termination fee' is not a place", "one of"),
        ("no renewal term", "'renewal term' is measured", "renewal term at most"),
        ("governing law one of England (and Wales)", "a check cannot hold parentheses", "leave them out"),
        ("governing law one of |", "names no place", "one of Germany"),
    ],
)
def test_a_bad_check_is_a_clear_error(text: str, message: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_checks("R-09", text)
    assert message in caught.value.message and fix in str(caught.value.fix)


def test_a_bad_check_in_a_checklist_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    path.write_text(
        "# Rules\n\n1. R-01 Renewal (category: Renewal Term, severity: low, check: renewal term at most 1 year). "
        "Short renewals.\n\n2. R-02 Law (category: Governing Law, severity: high, check: governing lw one of Spain). "
        "Spanish law.\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"rules\.md:5: rule R-02: unknown measure 'governing lw'") as caught:
        load_checklist(str(path))
    assert "did you mean 'governing law'?" in str(caught.value.fix)
    pipeline = tmp_path / "review.yaml"  # `hybridgraph validate` reads the pipeline's checklist too
    pipeline.write_text("name: r\nknowledge: {checklist: rules.md}\nsteps:\n  - {id: a, agent: redactor}\n")
    with pytest.raises(ConfigError) as caught:
        validate_yaml_text(pipeline.read_text(), PipelineSpec, source=pipeline, context={"base": tmp_path})
    assert "review.yaml:2:12" in caught.value.message and "rules.md:5: rule R-02" in caught.value.message


def test_a_rule_line_the_checklist_cannot_read_is_an_error_and_a_wrapped_one_is_read(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    wrapped = (
        "1. R-01 Law (category: Governing Law, severity: high,\n   check: governing law one of Spain). Spanish law.\n"
    )
    path.write_text(wrapped, encoding="utf-8")
    (rule,) = load_checklist(str(path)).rules
    assert rule.checks[0].text == "governing law one of Spain" and rule.text == "Spanish law."
    other = tmp_path / "other.md"
    other.write_text(wrapped + "\n2. R-02 Law (category: Governing Law, severity: high, Check: x). Typo.\n")
    with pytest.raises(ConfigError, match=r"other\.md:4: rule R-02 is not in the checklist's form"):
        load_checklist(str(other))
    assert parse_checks("R-01", "liability cap period at least 12 months")[0].text.endswith("12 months")  # as written


def test_the_shipped_checklist_finds_the_sample_contracts_planted_breaches() -> None:
    # The sample was written with out-of-policy clauses; its cap, audit, cure period and initial
    # term are within the rules.
    checklist = load_checklist("builtin:procurement-checklist")
    text = (ROOT / "examples" / "contracts" / "supplier-agreement.md").read_text(encoding="utf-8")
    broken = {c.rule for r in checklist.rules for c in r.checks if c.breaches(text)}
    assert broken == {"R-04", "R-09", "R-10", "R-11", "R-15", "R-17", "R-18", "R-20"}
    checked = {r.id for r in checklist.rules if r.checks}
    assert {"R-01", "R-08", "R-13", "R-21"} <= checked - broken


def test_the_verifier_escalates_a_compliant_answer_that_a_check_contradicts() -> None:
    task = judge_task(
        "Renewal Term",
        [("R-09", "renewals of a year at most")],
        checks=parse_checks("R-09", "renewal term at most 1 year"),
    )
    clause = "This Agreement renews automatically for successive terms of three (3) years."

    def answer(status: str) -> str:
        return json.dumps({"status": status, "rule": "R-09" if status == "violation" else "", "explanation": "x"})

    escalated = verify_answer(task, answer("compliant"), clause)
    assert escalated["verdict"] == "escalate" and escalated["score"] == 0.5
    assert escalated["reasons"] == ["checklist: R-09: the renewal term is 3 years; the rule allows at most 1 year"]
    assert verify_answer(task, answer("violation"), clause) == {"verdict": "accept", "score": 1.0, "reasons": []}
    within = clause.replace("three (3) years", "one (1) year")
    assert verify_answer(task, answer("compliant"), within)["verdict"] == "accept"


def test_the_checks_command_shows_what_each_check_measured(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hybridgraph.cli.main import app

    sample = str(ROOT / "examples" / "contracts" / "supplier-agreement.md")
    result = CliRunner().invoke(app, ["checks", sample, "--json"])
    assert result.exit_code == 1  # breaches found
    rows = {(r["rule"], r["check"]): r for r in map(json.loads, result.output.splitlines())}
    assert rows[("R-09", "renewal term at most 1 year")]["measured"] == ["2 years"]
    assert rows[("R-15", "governing law one of Germany | England | New York")]["breaches"]
    assert rows[("R-13", "cure period at most 60 days")] == {
        "rule": "R-13",
        "category": "Termination for Convenience",
        "check": "cure period at most 60 days",
        "measured": ["30 days"],
        "breaches": [],
    }
    within = tmp_path / "within.txt"
    within.write_text("1. Term. This Agreement renews automatically for successive one (1) year terms.\n")
    assert CliRunner().invoke(app, ["checks", str(within)]).exit_code == 0
    missing = CliRunner().invoke(app, ["checks", str(tmp_path / "nope.txt")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output
