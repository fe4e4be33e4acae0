"""The checklist's rule checks on CUAD: do they flag the clauses whose values break the rule?

CUAD's lawyers wrote down the value of three categories where a contract has one: the renewal
term ("successive 1 year"), the notice to stop renewal ("90 days") and the governing law ("New
York"). Each labelled clause is measured by the shipped checklist's check (R-09: renewal term
at most 1 year; R-10: renewal notice at most 90 days; R-15: governing law one of Germany,
England, New York), and the check's breach is compared with the rule applied to the lawyers'
value. Per check: the clauses with a usable value, how many the check measured at all, how
many of those it measured right, and the precision and recall of its breaches. The baseline,
in the same run, takes the first duration in the clause (or the first place after "laws of")
with no reading of its role, as a simple pattern would.

A breach asks for escalation only when the model called the clause compliant, so a false breach
costs a review, and a missed one leaves the model's judgement standing.

Run: ``python -m bench.rulechecks_eval [--data ../shared/data]`` (seconds).
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.pii_eval import DEFAULT_DATA
from hybridgraph.tools.checklist import load_checklist
from hybridgraph.tools.rulechecks import RuleCheck, durations

#: rule id -> (the CUAD category of its clauses, the column with the lawyers' value)
CHECKED = {
    "R-09": ("Renewal Term", "Renewal Term-Answer"),
    "R-10": ("Notice Period to Terminate Renewal", "Notice Period to Terminate Renewal-Answer"),
    "R-15": ("Governing Law", "Governing Law-Answer"),
}


@dataclass(frozen=True)
class Case:
    """One labelled clause and the lawyers' value."""

    clause: str
    value: str


@dataclass(frozen=True)
class Score:
    """A check's result on its cases."""

    cases: int
    measured: int
    right: int
    precision: float
    recall: float
    breaches: int  # true breaches among the cases


def load(data: Path, category: str, column: str) -> list[Case]:
    """The contracts with both a labelled clause and a usable value for ``category``."""
    with (data / "cuad" / "master_clauses.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cases = []
    for row in rows:
        value, cell = row.get(column, "").strip(), row.get(category, "").strip()
        if not value or not cell.startswith("[") or re.search(r"\[\]|/|\.\d|perpetual", value, re.I):
            continue
        clause = "\n\n".join(ast.literal_eval(cell))
        if clause.strip():
            cases.append(Case(clause, value))
    return cases


def gold_breach(check: RuleCheck, value: str) -> bool | None:
    """The rule applied to the lawyers' value (None: the value cannot be read)."""
    if check.op == "one of":
        return not any(re.search(rf"\b{re.escape(p)}\b", value, re.I) for p in check.places)
    days = [d.days for d in durations(value)]
    if not days:
        return None
    return max(days) > check.limit * 1.02 if check.op == "at most" else min(days) < check.limit * 0.98


def measured_right(check: RuleCheck, value: str, measured: list[object]) -> bool:
    if check.op == "one of":  # "England and Wales" is right for "England; Wales"
        parts = [p.strip().lower() for p in re.split(r"[;,]", value) if p.strip()]
        return any(p in str(v).lower() or str(v).lower() in p for v in measured for p in parts)
    days = [d.days for d in durations(value)]
    return any(abs(v - d) <= 0.02 * d for v in measured if isinstance(v, float) for d in days)


def naive(check: RuleCheck) -> Callable[[str], list[object]]:
    """The baseline: the first duration, or the first place after "laws of", whatever its role."""

    def read(clause: str) -> list[object]:
        if check.op == "one of":
            m = re.search(r"laws?\s+of\s+(?:the\s+)?([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)", clause)
            return [m[1]] if m else []
        found = durations(clause)
        return [found[0].days] if found else []

    return read


def score(check: RuleCheck, cases: list[Case], read: Callable[[str], list[object]]) -> Score:
    tp = fp = fn = measured = right = breaches = usable = 0
    for case in cases:
        truth = gold_breach(check, case.value)
        if truth is None:
            continue
        usable += 1
        values = read(case.clause)
        measured += bool(values)
        right += measured_right(check, case.value, values)
        flagged = bool(check.breaches_of(values))
        breaches += truth
        tp, fp, fn = tp + (flagged and truth), fp + (flagged and not truth), fn + (truth and not flagged)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return Score(usable, measured, right, precision, tp / (tp + fn) if tp + fn else 1.0, breaches)


def rates(data: Path, checks: list[tuple[str, RuleCheck]]) -> None:
    """For the checks without lawyers' values: how often each measures and breaks on its category's clauses."""
    with (data / "cuad" / "master_clauses.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    print("\n| check | labelled clauses | measured | breached |\n|---|---|---|---|")
    for category, check in checks:
        cells = [row.get(category, "").strip() for row in rows]
        clauses = ["\n\n".join(ast.literal_eval(c)) for c in cells if c.startswith("[") and c != "[]"]
        values = [check.values(c) for c in clauses]
        measured, breached = sum(map(bool, values)), sum(bool(check.breaches_of(v)) for v in values)
        print(f"| {check.rule} {check.text} ({category}) | {len(clauses)} | {measured} | {breached} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder (../shared/data)")
    ns = parser.parse_args()
    if not (ns.data / "cuad" / "master_clauses.csv").is_file():
        print(f"no CUAD data under {ns.data}: pass --data ../shared/data", file=sys.stderr)
        return 2
    checklist = load_checklist("builtin:procurement-checklist")
    checks = {c.rule: c for r in checklist.rules for c in r.checks if c.rule in CHECKED}
    print("| check | reading | clauses | breaches (lawyers' values) | measured | measured right | precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for rule, (category, column) in CHECKED.items():
        check, cases = checks[rule], load(ns.data, category, column)
        for name, read in (("shipped", check.values), ("first value (baseline)", naive(check))):
            s, shown = score(check, cases, read), check.text.replace("|", "/")
            print(
                f"| {rule} {shown} | {name} | {s.cases} | {s.breaches} | {s.measured} | {s.right} "
                f"| {s.precision:.3f} | {s.recall:.3f} |"
            )
    rates(ns.data, [(r.category, c) for r in checklist.rules for c in r.checks if c.rule not in CHECKED])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
