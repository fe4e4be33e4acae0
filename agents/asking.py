"""Asking a model for JSON that matches a schema: parse, repair, retry once, then give up.

``ask_json`` never raises for a bad answer: it returns ``None`` as the value, and the verifier
then escalates. Every call is accounted for as a ``ModelUse``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hybridgraph.errors import StructuredOutputError
from hybridgraph.models.base import ChatRequest, Completion, ModelClient
from hybridgraph.state import ModelUse

__all__ = ["Answer", "ask_json", "use_of"]

_OBJECT = re.compile(r"\{.*\}", re.S)


@dataclass
class Answer:
    """The parsed value (``None`` if no valid JSON came back), the raw text, and the calls made."""

    value: Any
    text: str
    uses: list[ModelUse] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    token_confidence: float | None = None  # of the answer the value came from, where logprobs came back


async def ask_json(client: ModelClient, request: ChatRequest, schema: dict[str, Any], step: str) -> Answer:
    """Ask; repair an answer with text around its JSON object; retry once with a reminder."""
    answer = Answer(None, "")
    for attempt in range(2):
        completion = await client.complete(request)
        answer.uses.append(use_of(completion, step))
        answer.text = completion.text
        try:
            answer.value = _validated(completion, schema)
            answer.token_confidence = completion.token_confidence
            return answer
        except StructuredOutputError as exc:
            answer.problems.append(exc.message)
        if attempt == 0:
            reminder = "Reply with one JSON object that matches the schema, and nothing else."
            request = request.model_copy(
                update={"temperature": 0.3, "seed": 1, "messages": (*request.messages, _user(reminder))}
            )
    return answer


def use_of(completion: Completion, step: str) -> ModelUse:
    """A completion's accounting as a ``ModelUse``."""
    return ModelUse(
        step=step,
        endpoint=completion.endpoint,
        zone=completion.zone.value,
        input_tokens=completion.usage.input_tokens,
        output_tokens=completion.usage.output_tokens,
        cost_usd=completion.cost_usd,
    )


def _validated(completion: Completion, schema: dict[str, Any]) -> Any:
    from hybridgraph.models.base import _validate_schema

    try:
        value = completion.parsed()
    except StructuredOutputError:
        match = _OBJECT.search(completion.text)  # repair: text around the object
        if match is None:
            raise
        try:
            value = json.loads(match.group(0))
        except json.JSONDecodeError:
            raise StructuredOutputError("the answer holds no valid JSON object", endpoint=completion.endpoint) from None
    _validate_schema(value, schema, completion.endpoint)
    return value


def _user(text: str) -> Any:
    from hybridgraph.models.base import Message

    return Message(role="user", content=text)
