"""``ClauseJudge``: judges every found clause against the checklist, one routed sub-run per clause.

Each clause is a small run of a routing pattern (cascade by default): the policy decides
before every model step, the local model judges first (the clause plus the category's company
rules), the verifier checks the answer and treats ``needs_review`` as "unsure", and the policy
decides whether to escalate. An escalation sends the cloud the clause's pseudonymised excerpts
and the wording of the company rules it is judged against (no other document data), to
compare against market practice; its answer's placeholders are restored locally. A clause
keeps at least the document's sensitivity, so a restricted contract's clauses stay local.
The sub-runs share the pipeline's redactor (so one vault, one set of placeholders) and its
budget (each sees what the clauses before it spent).

With ``mode: statements`` (the NDA and DPA checks), each finding is a checklist statement and
the passage most about it; the model says whether the passage states it (entailment), states
the opposite (contradiction) or neither (not_mentioned), and the rule's ``want`` turns that
label into compliant or violation. A statement no passage is about is ``not_mentioned``
without a model call.

A clause whose sub-run did not end accepted (an escalation a rule wanted but a guard skipped,
because no cloud endpoint is configured or reachable or the budget is spent; a person's review
asked for; no usable answer) is marked ``needs_review`` with the reason in ``review``; the
local model's tentative judgement stays in its explanation.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal, Optional

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.agents.tasks import Task, judge_task, statement_task
from hybridgraph.agents.verifier import measured_breaches
from hybridgraph.errors import ConfigError
from hybridgraph.state import Finding, ModelUse, RunState
from hybridgraph.tools.checklist import ChecklistRule
from hybridgraph.zones import Sensitivity, TrustZone

__all__ = ["ClauseJudge", "JudgeConfig"]


class JudgeConfig(BaseModel):
    """``clause-judge`` settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Literal["cascade", "parallel", "split"] = Field(default="cascade", description="the routing pattern")
    concurrency: int = Field(default=2, ge=1, le=16, description="clauses judged at the same time")
    samples: int = Field(default=1, ge=1, le=8, description="local answers compared for confidence")
    mode: Literal["compliance", "statements"] = Field(
        default="compliance",
        description="compliance: judge clauses against their category's rules; statements: does the document "
        "say each checklist statement (entailment, contradiction, not_mentioned)?",
    )


class ClauseJudge(PipelineAgent):
    """Judges ``findings`` (see the module docstring)."""

    Config = JudgeConfig
    config: JudgeConfig

    def __init__(self, config: JudgeConfig, context: Any) -> None:
        super().__init__(config, context)
        self._graphs: dict[str, Any] = {}

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Rewrites ``findings`` with judgements; adds the sub-runs' uses, routes and faults."""
        gate = asyncio.Semaphore(self.config.concurrency)
        spent: list[ModelUse] = list(state.get("uses", []))

        async def one(finding: Finding) -> tuple[Finding, dict[str, Any]]:
            if finding.get("status"):
                return finding, {}
            if not finding.get("quote"):  # a statement nothing in the document is about
                return self.unmentioned(finding), {}
            async with gate:
                result = await self.sub_run(state, finding, spent)
            spent.extend(result["new_uses"])
            return self.judged(finding, result), result

        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the other clauses' runs
                tasks = [group.create_task(one(f)) for f in state.get("findings", [])]
        except BaseExceptionGroup as failed:  # the first failure, as itself (a clear error stays clear)
            raise failed.exceptions[0] from None
        done = [task.result() for task in tasks]
        results = [r for _, r in done if r]
        return {
            "findings": [f for f, _ in done],
            "uses": [u for r in results for u in r["new_uses"]],
            "routes": [route for r in results for route in r.get("routes", [])],
            "faults": [fault for r in results for fault in r.get("faults", [])],
        }

    async def sub_run(self, state: RunState, finding: Finding, spent: list[ModelUse]) -> dict[str, Any]:
        """The routed run of one clause; ``new_uses`` are its own model calls."""
        task = self.task(finding)
        seed = list(spent)
        graph_input = {
            "document": finding["quote"],
            "run_id": state.get("run_id", ""),
            "reachable": list(state.get("reachable", [c.name for c in self.context.clients])),
            "sensitivity_floor": self.floor(state, finding),
            "uses": seed,
        }
        result: dict[str, Any] = await self.graph(task).ainvoke(graph_input)
        result["new_uses"] = result.get("uses", [])[len(seed) :]
        step = f"judge:{finding['category']}"
        result["routes"] = [{**r, "step": step} for r in result.get("routes", [])]
        result["faults"] = [{**f, "step": step} for f in result.get("faults", [])]
        return result

    def task(self, finding: Finding) -> Task:
        """The judging task of a finding: its category's rules, or its statement."""
        if self.config.mode == "statements":
            return statement_task(self.statement(finding).text)
        category = finding["category"]
        rules = self.context.checklist.for_category(category)
        checks = tuple(c for r in rules for c in r.checks)
        return judge_task(category, [(r.id, f"{r.title}: {r.text}") for r in rules], query=category, checks=checks)

    def statement(self, finding: Finding) -> ChecklistRule:
        """The checklist statement a finding is about (its ``rule``)."""
        rule = next((r for r in self.context.checklist.rules if r.id == finding.get("rule")), None)
        if rule is None:
            raise ConfigError(
                f"finding '{finding.get('category')}' names no statement of the checklist ('{finding.get('rule')}')",
                fix="with clause-judge 'mode: statements', let clause-finder find 'items: checklist'",
            )
        return rule

    def unmentioned(self, finding: Finding) -> Finding:
        """A statement with no passage about it: not mentioned, judged without a model."""
        status = self.status_of("not_mentioned", self.statement(finding).want)
        note = "no passage of the document is about it (search only, no model)"
        return Finding(**{**finding, "label": "not_mentioned", "status": status, "explanation": note, "route": "none"})

    @staticmethod
    def status_of(label: str, want: str) -> str:
        """A statement's status: compliant when the document says what the company wants (or is
        silent on what it does not want), else a violation."""
        want = want or "entailment"  # a statement without ``want:`` is one the document should make
        if label == want or (label == "not_mentioned" and want == "contradiction"):
            return "compliant"
        return "violation"

    @staticmethod
    def floor(state: RunState, finding: Finding) -> Sensitivity:
        """The clause's least level: the document's (a restricted contract's clauses stay local),
        or that of a chunk it overlaps, whichever is higher."""
        levels = [state.get("sensitivity", Sensitivity.INTERNAL)] + [
            c["sensitivity"]
            for c in state.get("chunks", [])
            if c["start"] < finding["end"] and finding["start"] < c["end"]
        ]
        return max(levels, key=lambda s: s.rank)

    def graph(self, task: Task) -> Any:
        """The pattern graph of ``task`` (no checkpointer: a person's review is asked for in the
        report), built once per task."""
        if task.instruction not in self._graphs:
            self._graphs[task.instruction] = self._build(task)
        return self._graphs[task.instruction]

    def _build(self, task: Task) -> Any:
        from hybridgraph.graphs.cascade import cascade
        from hybridgraph.graphs.parallel import parallel
        from hybridgraph.graphs.split import split

        builder = {"cascade": cascade, "parallel": parallel, "split": split}[self.config.pattern]
        return builder(
            task,
            self.context.clients,
            self.context.routing,
            redactor=self.context.redactor,
            budget=self.context.budget,
            samples=self.config.samples,
            checkpointer=False,
        )

    def judged(self, finding: Finding, result: dict[str, Any]) -> Finding:
        """``finding`` with the sub-run's judgement, route, confidence and, if needed, why a person should look."""
        answer = _parse(
            result.get("restored", result.get("answer", "")), "label" if self.config.mode == "statements" else "status"
        )
        zone = str(result.get("answer_zone") or TrustZone.LOCAL.value)
        accepted = result.get("status") == "accepted" and answer is not None
        value = answer or {}
        explanation = str(value.get("explanation", "")).strip()
        if not accepted and answer is not None:
            verdict = value.get("label", value.get("status"))
            explanation = f"tentative, from the {zone} model: {verdict}. {explanation}".strip()
        measured = [] if accepted else _measured(result)
        if measured:
            explanation = f"{'; '.join(measured)}. {explanation}".strip()
        update: dict[str, Any] = {
            "status": str(value.get("status", "")) if accepted else "needs_review",
            "rule": measured[0].split(":")[0] if measured else str(value.get("rule", "")),
            "explanation": explanation or "no usable judgement from the models",
            "route": "human" if result.get("status") == "needs_human" else ("local" if zone == "local" else "cloud"),
            "route_reason": " → ".join(str(r.get("rule")) for r in result.get("routes", [])),
            "confidence": result.get("confidence"),
            "token_confidence": result.get("token_confidence"),
            "review": "" if accepted else self.review_reason(result, answer),
        }
        if self.config.mode == "statements":
            label = str(value["label"]) if accepted else ""
            status = self.status_of(label, self.statement(finding).want) if accepted else "needs_review"
            update |= {"label": label, "status": status, "rule": finding.get("rule", "")}
        return Finding(**{**finding, **update})  # type: ignore[typeddict-item]

    def review_reason(self, result: dict[str, Any], answer: dict[str, Any] | None) -> str:
        """Why a person should look at a clause whose sub-run did not end accepted. A skipped
        escalation's reason starts with "escalation skipped" (the report lists those) and
        names the rule that wanted it."""
        route = result.get("route", {})
        skipped: list[str] = result.get("skipped_escalations") or []
        if skipped:
            return self.configured(skipped[-1], result.get("routes", []))
        if route.get("reason"):
            return f"{route.get('rule')}: {route['reason']}"
        return "no usable judgement" if answer is None else f"the run ended {result.get('status')}"

    def configured(self, skipped: str, routes: list[dict[str, Any]]) -> str:
        """``skipped`` (a skipped escalation), said plainly when the cloud endpoint is one the
        pipeline has no working client for."""
        unavailable: dict[str, str] = self.context.extra.get("unavailable", {})
        wanted = self.context.policy.cloud_endpoint
        if wanted not in unavailable or "guard:unreachable" not in skipped:
            return skipped
        rule = next((str(r["skipped"]) for r in reversed(routes) if r.get("skipped")), "")
        return f"escalation skipped: no cloud endpoint is configured ({wanted}: {unavailable[wanted]}) (was: {rule})"


def _measured(result: dict[str, Any]) -> list[str]:
    """The checklist checks the clause breaks, as the verifier gave them ("R-09: the renewal term is ...")."""
    return measured_breaches((result.get("verification") or {}).get("reasons", []))


def _parse(answer: Any, key: str) -> dict[str, Any] | None:
    """The answer's JSON object, if it has ``key`` (the verifier checked the rest)."""
    try:
        value = json.loads(answer) if isinstance(answer, str) else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get(key), str) else None
