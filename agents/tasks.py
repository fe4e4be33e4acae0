"""Tasks: what a model step is asked to do, and the JSON its answer must match.

A ``Task`` carries the instruction, the answer's JSON Schema, which answer fields must quote
the document (the verifier checks them), the words that pick the excerpts a cloud model may
see, and a complexity estimate for the policy. ``clause_task`` builds one per clause category
of the contract review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Task", "clause_task"]


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
