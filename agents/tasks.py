"""Tasks: what a model step is asked to do, and the JSON its answer must match.

A ``Task`` carries the instruction, the answer's JSON Schema, which answer fields must quote
the document (the verifier checks them), the words that pick the excerpts a cloud model may
see, and a complexity estimate for the policy. ``clause_task`` builds one per clause category
of the contract review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hybridgraph.tools.rulechecks import RuleCheck

__all__ = ["Task", "clause_task", "judge_task", "statement_task"]


@dataclass(frozen=True)
class Task:
    """One kind of model step."""

    name: str
    kind: str
    instruction: str
    schema: dict[str, Any]
    quote_fields: tuple[str, ...] = ()
    query: str = ""
    complexity: float = 0.5
    system: str = "You review business documents. Answer with a json object only."
    examples: tuple[str, ...] = field(default=())
    #: Answer values that mean "not sure" (e.g. ``("status", "needs_review")``): the verifier
    #: asks for escalation on them, so the policy decides whether a bigger model should look.
    unsure: tuple[tuple[str, str], ...] = ()
    #: What the verifier measures in the text (the checklist rules' ``check:``): a breach the
    #: answer does not call a violation asks for escalation.
    checks: tuple[RuleCheck, ...] = ()

    def prompt(self, text: str, label: str = "Document") -> str:
        """The user message: the instruction, then the text it applies to."""
        return f"{self.instruction}\n\n{label}:\n{text}"


def clause_task(category: str, query: str = "", complexity: float = 0.5) -> Task:
    """Find the clause of ``category`` in a contract: whether it is there, a verbatim quote, a risk level."""
    schema = {
        "type": "object",
        "properties": {
            "found": {"type": "boolean"},
            "quote": {"type": "string", "maxLength": 600},
            "risk": {"enum": ["low", "medium", "high"]},
        },
        "required": ["found", "quote", "risk"],
        "additionalProperties": False,
    }
    # Worded in lower case: the egress guard re-scans every outgoing byte, and NER models take
    # capitalised words ("JSON", "Cap") for names.
    instruction = (
        f"does the text contain a {category.lower()} clause? answer as a json object with keys found "
        '(true or false), quote (the clause copied word for word from the text, or "" when not found) '
        "and risk (low, medium or high for the buyer)."
    )
    return Task(
        name=category.lower().replace(" ", "-"),
        kind="extract",
        instruction=instruction,
        schema=schema,
        quote_fields=("quote",),
        query=query or category,
        complexity=complexity,
    )


def judge_task(
    category: str,
    rules: list[tuple[str, str]],
    query: str = "",
    complexity: float = 0.6,
    checks: tuple[RuleCheck, ...] = (),
) -> Task:
    """Judge a clause of ``category`` against ``rules`` (id, wording) and market practice:
    compliant, violation (naming the rule) or needs_review (unsure, which asks for escalation).
    ``checks`` are the rules' measurable parts, for the verifier."""
    ids = [rule_id for rule_id, _ in rules]
    schema = {
        "type": "object",
        "properties": {
            "status": {"enum": ["compliant", "violation", "needs_review"]},
            "rule": {"enum": [*ids, ""]},
            "explanation": {"type": "string", "maxLength": 400},
        },
        "required": ["status", "rule", "explanation"],
        "additionalProperties": False,
    }
    listed = "\n".join(f"- {rule_id}: {text.lower()}" for rule_id, text in rules) or "- (no company rule applies)"
    instruction = (
        f"judge this {category.lower()} clause of a supplier contract for the buyer, against the company rules "
        "below and against common market practice. answer as a json object with keys status (compliant, "
        'violation, or needs_review when unsure), rule (the id of the rule the clause breaks, or "") and '
        f"explanation (one short sentence).\n\nrules:\n{listed}"
    )
    return Task(
        name=f"judge-{category.lower().replace(' ', '-')}",
        kind="classify",
        instruction=instruction,
        schema=schema,
        query=query or category,
        complexity=complexity,
        unsure=(("status", "needs_review"),),
        checks=checks,
    )


def statement_task(statement: str, complexity: float = 0.6) -> Task:
    """Does a passage say ``statement`` (entailment), say the opposite (contradiction), or neither?"""
    schema = {
        "type": "object",
        "properties": {
            "label": {"enum": ["entailment", "contradiction", "not_mentioned"]},
            "explanation": {"type": "string", "maxLength": 400},
        },
        "required": ["label", "explanation"],
        "additionalProperties": False,
    }
    instruction = (
        f"statement: {statement.lower()}\n"
        "does the text below say this? answer as a json object with keys label (entailment when the text says "
        "it, contradiction when the text says the opposite, not_mentioned when it says neither) and "
        "explanation (one short sentence)."
    )
    return Task(
        name="statement",
        kind="classify",
        instruction=instruction,
        schema=schema,
        query=statement,
        complexity=complexity,
    )
