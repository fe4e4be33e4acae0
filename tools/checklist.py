"""Checklists: the company rules a review judges a document against, read from Markdown.

A rule is one numbered line of the form::

    12. R-12 Title of the rule (category: Termination for Convenience, severity: medium). What a
        compliant document says, and what counts as a violation.

A rule that is a statement the document should make (or must not make) says so with
``want: entailment`` (or ``want: contradiction``) after the severity; the NDA and DPA checks
judge such statements. A rule may also name what can be measured in its clause, with
``check:`` last (``check: renewal term at most 1 year``; see ``tools/rulechecks.py``): the
verifier escalates a "compliant" answer that the measurement contradicts. Anything else in the
file (headings, introductions) is prose and is skipped. ``load_checklist`` takes a file path or
``builtin:NAME`` (the knowledge shipped with hybridgraph).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.textinput import read_text_file
from hybridgraph.tools.rulechecks import RuleCheck, parse_checks

__all__ = ["Checklist", "ChecklistRule", "load_checklist"]

#: A numbered line that starts like a rule ("12. R-12 "): it must then be one, or the file is wrong.
_RULE_LIKE = re.compile(r"(?m)^[ \t]*\d{1,3}\.[ \t]+(?P<id>[A-Z][A-Z0-9]*-\d{1,4})\b")
_RULE = re.compile(
    r"(?m)^[ \t]*\d{1,3}\.[ \t]+(?P<id>[A-Z][A-Z0-9]*-\d{1,4})[ \t]+(?P<title>[^(\n]+?)[ \t]*"
    r"\(category:\s*(?P<category>[^,)\n]+),\s*severity:\s*(?P<severity>low|medium|high)"
    r"(?:,\s*want:\s*(?P<want>entailment|contradiction))?(?:,\s*check:\s*(?P<check>[^)]+))?\)\.?[ \t]*"
    r"(?P<text>[^\n]*(?:\n(?![ \t]*\n|[ \t]*\d{1,3}\.[ \t]|#)[^\n]*)*)"
)


@dataclass(frozen=True)
class ChecklistRule:
    """One company rule: its id, title, the clause category it judges, severity and wording."""

    id: str
    title: str
    category: str
    severity: str
    text: str
    want: str = ""  # for statements: "entailment" (the document should say it) or "contradiction"
    checks: tuple[RuleCheck, ...] = ()  # what the verifier measures in the clause (tools/rulechecks.py)

    def brief(self) -> str:
        """The rule as a model reads it: id, title and wording on one line."""
        return f"{self.id} ({self.severity}) {self.title}: {self.text}"


@dataclass(frozen=True)
class Checklist:
    """The rules of one checklist file, in file order."""

    source: str
    rules: tuple[ChecklistRule, ...]

    def for_category(self, category: str, ids: tuple[str, ...] = ()) -> list[ChecklistRule]:
        """The rules that judge ``category`` (by the rule's category, or by id when ``ids`` are given)."""
        if ids:
            return [r for r in self.rules if r.id in ids]
        return [r for r in self.rules if r.category.lower() == category.lower()]


def load_checklist(ref: str) -> Checklist:
    """The checklist at path ``ref``, or the shipped one ``builtin:NAME``."""
    return _load(_path(ref))


def _path(ref: str) -> Path:
    if ref.startswith("builtin:"):
        from hybridgraph.tools.knowledge import builtin_path

        try:
            return builtin_path(ref.removeprefix("builtin:"))
        except InputError as exc:  # it names the shipped documents
            raise ConfigError(f"unknown checklist '{ref}'", fix=exc.fix) from None
    return Path(ref).expanduser().resolve()


@functools.cache
def _load(path: Path) -> Checklist:
    try:
        text = read_text_file(path)
    except InputError as exc:  # the cause named: missing, permission, encoding with its offset
        raise ConfigError(f"cannot read the checklist: {exc.message}", fix=exc.fix) from None
    matches = list(_RULE.finditer(text))
    starts = {m.start() for m in matches}
    for odd in (m for m in _RULE_LIKE.finditer(text) if m.start() not in starts):
        raise ConfigError(
            f"rule {odd['id']} is not in the checklist's form, so it would be left out",
            fix="write '(category: NAME, severity: low|medium|high[, want: ...][, check: ...]).' after the title, "
            "in lower case, with no parenthesis inside",
            path=path,
            line=_line(text, odd.start()),
        )
    rules = tuple(_rule(m, path, text) for m in matches)
    if not rules:
        raise ConfigError(
            f"the checklist {path.name} has no rules",
            fix="write each rule as '1. R-01 Title (category: Cap on Liability, severity: high). Wording.'",
        )
    return Checklist(str(path), rules)


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _rule(m: re.Match[str], path: Path, text: str) -> ChecklistRule:
    try:
        checks = parse_checks(m["id"], m["check"] or "")
    except ConfigError as exc:  # where: file and line
        raise ConfigError(exc.message, fix=exc.fix, path=path, line=_line(text, m.start())) from None
    words, want = " ".join(m["text"].split()), m["want"] or ""
    return ChecklistRule(m["id"], m["title"].strip(), m["category"].strip(), m["severity"], words, want, checks)
