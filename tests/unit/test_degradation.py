"""Graceful degradation decided by the policy, with programmable fakes: a failed cloud keeps the
local answer for review, a failed local model escalates only as far as the data's sensitivity
allows, a queued escalation waits in the checkpoint, and a failed retriever is noted."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from policy_helpers import policy_of
from test_cascade import CLAUSE, DOCUMENT, TASK, Names, answer, models

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.errors import EndpointUnreachableError, ModelTimeoutError
from hybridgraph.graphs.cascade import cascade
from hybridgraph.graphs.parallel import parallel
from hybridgraph.models import ChatRequest, ModelClient
from hybridgraph.policies import Action, RulePolicy, StepFeatures
from hybridgraph.zones import Sensitivity, TrustZone

ZONES = {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}
RULES: list[dict[str, Any]] = [
    {"id": "stop-after-two", "when": {"attempt_at_least": 2}, "action": "human"},
    {"id": "escalate", "when": {"verdict": ["escalate"]}, "action": "cloud_redacted"},
    {"id": "local-first", "action": "local"},
]


def engine(rules: list[dict[str, Any]] = RULES) -> RulePolicy:
    return RulePolicy(policy_of("test", rules), ZONES, frozenset({"cloud"}))


def down(kind: type[Exception] = EndpointUnreachableError) -> Any:
    def fn(_: ChatRequest) -> str:
        raise kind("the server did not answer", endpoint="x")

    return fn


async def run(clients: list[ModelClient], policy: RulePolicy | None = None, **kw: Any) -> dict[str, Any]:
    graph = cascade(TASK, clients, policy or engine(), redactor=RedactorAgent(detector=Names()), **kw)
    result: dict[str, Any] = await graph.ainvoke({"document": DOCUMENT}, {"configurable": {"thread_id": "t"}})
    return result


async def test_cloud_down_keeps_the_local_answer_for_review_and_says_why() -> None:
    _, cloud, clients = models(lambda r: answer(True, "words that are not in the contract"), down(ModelTimeoutError))
    result = await run(clients)
    assert result["status"] == "needs_review"
    assert result["route"]["target"] == Action.KEEP.value and result["route"]["rule"] == "guard:unreachable"
    assert "unreachable" in result["route"]["reason"]
    assert [f["error"] for f in result["faults"]] == ["ModelTimeoutError"]
    assert result["reachable"] == ["local"] and len(cloud.calls) == 1
    assert "restored" in result  # the local answer is the result


async def test_local_down_sends_internal_data_to_the_cloud_pseudonymised() -> None:
    _, cloud, clients = models(down(), lambda r: answer(True, CLAUSE))
    result = await run(clients)
    assert result["routes"][-1]["rule"] == "guard:local-unreachable"
    assert result["status"] == "accepted" and len(cloud.calls) == 1
    assert "Acme Ltd" not in cloud.calls[0].messages[-1].content


def test_local_down_with_restricted_data_stops_with_a_clear_reason() -> None:
    features = StepFeatures(
        step="answer", task="extract", sensitivity=Sensitivity.RESTRICTED, reachable=frozenset({"cloud"})
    )
    decision = engine().decide(features)
    assert decision.target is Action.DENY and decision.rule == "guard:local-unreachable"
    assert "restricted data may not leave" in decision.reason


def test_local_down_with_confidential_data_asks_for_approval_first() -> None:
    features = StepFeatures(
        step="answer", task="extract", sensitivity=Sensitivity.CONFIDENTIAL, reachable=frozenset({"cloud"})
    )
    assert engine().decide(features).target is Action.HUMAN
    approved = StepFeatures(
        step="answer",
        task="extract",
        sensitivity=Sensitivity.CONFIDENTIAL,
        reachable=frozenset({"cloud"}),
        approved=True,
    )
    assert engine().decide(approved).target is Action.CLOUD_REDACTED


async def test_both_down_fails_the_run_with_the_reason() -> None:
    _, _, clients = models(down(), down())
    result = await run(clients)
    assert result["status"] == "failed"
    assert "unreachable" in result["route"]["reason"]
    assert {f["endpoint"] for f in result["faults"]} == {"local", "cloud"}


async def test_a_queued_escalation_waits_in_the_checkpoint_until_resumed() -> None:
    rules = [
        {"id": "queue-when-offline", "when": {"verdict": ["escalate"], "unreachable": ["cloud"]}, "action": "queue"}
    ]
    attempts: list[int] = []

    def cloud_reply(_: ChatRequest) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise EndpointUnreachableError("offline", endpoint="cloud")
        return answer(True, CLAUSE)

    _, _, clients = models(lambda r: answer(True, "not in the contract"), cloud_reply)
    saver = InMemorySaver()
    policy = engine(rules + RULES)
    graph = cascade(TASK, clients, policy, redactor=RedactorAgent(detector=Names()), checkpointer=saver)
    config = {"configurable": {"thread_id": "queued"}}
    paused = await graph.ainvoke({"document": DOCUMENT}, config)
    (pending,) = paused["__interrupt__"]
    assert pending.value["kind"] == "queued" and pending.value["waits_for"] == "cloud"
    assert "Acme" not in str(pending.value)
    result = await graph.ainvoke(Command(resume={"retry": True}), config)
    assert result["status"] == "accepted" and result["answer_zone"] == "public" and len(attempts) == 2


async def test_without_a_checkpointer_a_queued_escalation_keeps_the_answer() -> None:
    rules = [{"id": "queue-when-offline", "when": {"unreachable": ["cloud"]}, "action": "queue"}]
    _, _, clients = models(lambda r: answer(True, "not in the contract"), down())
    result = await run(clients, engine(rules + RULES))
    assert result["status"] == "needs_review"


async def test_parallel_with_the_cloud_down_keeps_the_local_answer_for_review() -> None:
    rules = [{"id": "both", "when": {"attempt_below": 1}, "action": "parallel"}, *RULES]
    _, _, clients = models(lambda r: answer(True, CLAUSE), down())
    graph = parallel(TASK, clients, engine(rules), redactor=RedactorAgent(detector=Names()))
    result = await graph.ainvoke({"document": DOCUMENT})
    assert result["status"] == "needs_review" and result["answer_zone"] == "local"
    assert result["reachable"] == ["local"]


async def test_a_failed_request_on_a_working_endpoint_escalates_without_dropping_it() -> None:
    from hybridgraph.errors import ContextOverflowError

    _, cloud, clients = models(down(ContextOverflowError), lambda r: answer(True, CLAUSE))
    result = await run(clients)
    assert result["faults"][0]["error"] == "ContextOverflowError" and not result["faults"][0]["outage"]
    assert "local" in result["reachable"]  # the local endpoint is still up
    assert result["routes"][1]["rule"] == "escalate" and len(cloud.calls) == 1


def test_keep_needs_an_answer_in_hand() -> None:
    from hybridgraph.policies import Verdict

    features: dict[str, Any] = {
        "step": "answer",
        "task": "extract",
        "reachable": frozenset({"local"}),
        "verdict": Verdict.ESCALATE,
    }
    rules = [{"id": "escalate", "when": {"verdict": ["escalate"]}, "action": "cloud_redacted"}]
    assert engine(rules).decide(StepFeatures(**features, has_answer=True)).target is Action.KEEP
    assert engine(rules).decide(StepFeatures(**features)).target is Action.LOCAL  # nothing to keep: go local


def test_local_fallback_human_asks_before_internal_data_leaves() -> None:
    policy = RulePolicy(
        policy_of("strictish", [{"id": "local", "action": "local"}]).model_copy(update={"local_fallback": "human"}),
        ZONES,
        frozenset({"cloud"}),
    )
    down_local = StepFeatures(step="answer", task="extract", reachable=frozenset({"cloud"}))
    assert policy.decide(down_local).target is Action.HUMAN
    approved = StepFeatures(step="answer", task="extract", reachable=frozenset({"cloud"}), approved=True)
    assert policy.decide(approved).target is Action.CLOUD_REDACTED


def test_parallel_without_a_local_side_escalates_as_sensitivity_allows() -> None:
    rules = [{"id": "both", "action": "parallel"}]
    features = StepFeatures(step="answer", task="extract", reachable=frozenset({"cloud"}))
    assert engine(rules).decide(features).target is Action.CLOUD_REDACTED
    restricted = StepFeatures(
        step="answer", task="extract", sensitivity=Sensitivity.RESTRICTED, reachable=frozenset({"cloud"})
    )
    assert engine(rules).decide(restricted).target is Action.DENY
