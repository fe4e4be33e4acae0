"""``VerifierAgent``: judges the current answer before anyone relies on it. Runs locally, no model.

Checks, each one a reason when it fails:
- **schema**: the answer is JSON and matches the task's schema;
- **grounding**: every quote field is found, word for word (ignoring case and spacing), in the
  text the answering model saw: the document for a local answer, the pseudonymised text for
  a cloud answer (so placeholders match);
- **consistency**: ``found: false`` comes without a quote, and ``found: true`` with one;
- **checklist**: the task's rule checks (``Task.checks``, the checklist's ``check:``) measure the
  real text (never the pseudonymised one, whatever model answered); a breach asks for escalation
  unless the answer calls the clause a violation;
- **unsure**: an answer value the task marks as "not sure" (``Task.unsure``) asks for escalation;
- **rules** (optional): ``high_risk_needs_human`` sends a valid ``risk: high`` answer to a person;
- **second opinion** (optional): another local model is asked whether the quote answers the
  task; a "no" turns an accepted answer into an escalation.

The verdict is ``accept`` when every check passes, else ``escalate``; the score is the share
of checks passed, and it is the answer's confidence when the solver gave none.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.asking import use_of
from hybridgraph.agents.tasks import Task
from hybridgraph.errors import ConfigError
from hybridgraph.models.base import ChatRequest, ModelClient, schema_validator
from hybridgraph.policies.spec import Verdict
from hybridgraph.state import ModelUse, NodeName, RunState, Verification
from hybridgraph.zones import TrustZone

__all__ = ["VerifierAgent", "measured_breaches", "verify_answer"]

#: How a checklist reason starts ("checklist: R-09: the renewal term is 2 years; ...").
_CHECKLIST = "checklist: "


class VerifierAgent:
    """The verify node for ``task``."""

    def __init__(
        self, task: Task, *, high_risk_needs_human: bool = False, second_opinion: ModelClient | None = None
    ) -> None:
        if second_opinion is not None and second_opinion.zone is not TrustZone.LOCAL:
            raise ConfigError(
                f"the verifier's second opinion must be a local model; '{second_opinion.name}' is not",
                fix="pass a local endpoint, e.g. open_model('ollama-qwen')",
            )
        self.task, self.high_risk_needs_human, self.second_opinion = task, high_risk_needs_human, second_opinion

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Reads ``answer`` and the text its model saw; writes ``verification`` and ``confidence``."""
        local = state.get("answer_zone", TrustZone.LOCAL.value) == TrustZone.LOCAL.value
        source = state.get("document", "") if local else state.get("redacted", "")
        result = verify_answer(
            self.task, state.get("answer", ""), source, self.high_risk_needs_human, measured=state.get("document", "")
        )
        out: dict[str, Any] = {}
        if self.second_opinion is not None and result["verdict"] == Verdict.ACCEPT.value:
            agrees, use = await self._second_opinion(state.get("answer", ""))
            out["uses"] = [use]
            if not agrees:
                result = Verification(
                    verdict=Verdict.ESCALATE.value,
                    score=result["score"] / 2,
                    reasons=["second opinion: the quote does not answer the task"],
                )
        confidence = state.get("confidence")
        checked = state.get("checked", 0) + 1
        return {
            **out,
            "verification": result,
            "confidence": result["score"] if confidence is None else confidence,
            "checked": checked,
        }

    async def _second_opinion(self, answer: str) -> tuple[bool, ModelUse]:
        value = json.loads(answer)
        quote = next((str(value.get(f, "")) for f in self.task.quote_fields if value.get(f)), "")
        prompt = (
            f"task: {self.task.instruction}\nproposed answer: {quote or 'not found'}\n"
            "is the proposed answer right? reply yes or no."
        )
        completion = await self.second_opinion.complete(ChatRequest.from_prompt(prompt, max_tokens=4))  # type: ignore[union-attr]
        return not completion.text.strip().lower().startswith("no"), use_of(completion, NodeName.VERIFY.value)


def verify_answer(
    task: Task, answer: str, source: str, high_risk_needs_human: bool = False, *, measured: str | None = None
) -> Verification:
    """The checks on one answer (see the module docstring). ``measured`` is the text the rule checks
    read (default ``source``): the real text, also for a cloud answer, whose quotes are checked
    against the pseudonymised text it saw (a placeholder has no governing law to read)."""
    import jsonschema

    passed, reasons = 0, []
    try:
        value: Any = json.loads(answer)
        schema_validator(task.schema).validate(value)
        passed += 1
    except (json.JSONDecodeError, jsonschema.ValidationError) as exc:
        reasons.append(f"schema: {type(exc).__name__}")
        return Verification(verdict=Verdict.ESCALATE.value, score=0.0, reasons=reasons)
    checks = 1
    for name in task.quote_fields:
        quote = str(value.get(name, "")) if isinstance(value, dict) else ""
        checks += 1
        if not quote or _normal(quote) in _normal(source):
            passed += 1
        else:
            reasons.append(f"grounding: '{name}' is not in the text")
    if isinstance(value, dict) and "found" in value and task.quote_fields:
        checks += 1
        quoted = bool(str(value.get(task.quote_fields[0], "")).strip())
        if bool(value["found"]) == quoted:
            passed += 1
        else:
            reasons.append("consistency: 'found' and the quote disagree")
    if task.checks and isinstance(value, dict):
        checks += 1
        text = source if measured is None else measured
        breaches = [breach for check in task.checks for breach in check.breaches(text)]
        if not breaches or value.get("status") == "violation":
            passed += 1
        else:
            reasons += [_CHECKLIST + breach for breach in breaches]
    verdict = Verdict.ACCEPT if passed == checks else Verdict.ESCALATE
    unsure = [f"{k}: {v}" for k, v in task.unsure if isinstance(value, dict) and value.get(k) == v]
    if verdict is Verdict.ACCEPT and unsure:
        return Verification(verdict=Verdict.ESCALATE.value, score=0.5, reasons=[f"unsure: {unsure[0]}"])
    if verdict is Verdict.ACCEPT and high_risk_needs_human and isinstance(value, dict) and value.get("risk") == "high":
        verdict, reasons = Verdict.NEEDS_HUMAN, ["rules: a high-risk finding needs a person's review"]
    return Verification(verdict=verdict.value, score=passed / checks, reasons=reasons)


def measured_breaches(reasons: list[str]) -> list[str]:
    """The rule-check breaches among a verification's ``reasons`` ("R-09: the renewal term is ...")."""
    return [r.removeprefix(_CHECKLIST) for r in reasons if r.startswith(_CHECKLIST)]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()
