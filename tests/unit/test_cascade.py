"""The cascade's logic with programmable fakes: routes follow the policy, answers are verified,
cloud steps see pseudonymised excerpts only, and every run reports its economics."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from policy_helpers import policy_of

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.tasks import clause_task
from hybridgraph.catalog import Endpoint
from hybridgraph.graphs.cascade import cascade
from hybridgraph.graphs.economics import Budget
from hybridgraph.models import ChatRequest, EgressGuard, FunctionModel, ModelClient
from hybridgraph.policies import Action, Policy, Rule, RulePolicy
from hybridgraph.tools.pii.findings import Finding
from hybridgraph.zones import TrustZone

CLAUSE = "The Supplier's aggregate liability shall not exceed the fees paid in the prior twelve months."
DOCUMENT = f"Master Agreement between Acme Ltd and Buyer Inc.\n\n9. Liability. {CLAUSE}\n\n10. Term. Two years."
TASK = clause_task("Cap on Liability", query="aggregate liability shall not exceed fees paid limitation")
POLICY = policy_of(
    "test",
    [
        {"id": "stop-after-two", "when": {"attempt_at_least": 2}, "action": "human"},
        {"id": "restricted-local", "when": {"sensitivity": ["restricted"]}, "action": "local"},
        {"id": "escalate", "when": {"verdict": ["escalate"]}, "action": "cloud_redacted"},
        {"id": "local-first", "action": "local"},
    ],
)


class Names:
    """A detector that finds the two company names."""

    config = None

    def detect(self, text: str) -> list[Finding]:
        out = []
        for name in ("Acme Ltd", "Buyer Inc"):
            start = text.find(name)
            while start >= 0:
                out.append(Finding(start, start + len(name), "ORGANIZATION", 0.9))
                start = text.find(name, start + 1)
        return out


NAMES = RedactorAgent(detector=Names())


def answer(found: bool, quote: str) -> str:
    return json.dumps({"found": found, "quote": quote, "risk": "medium"})


def models(local_reply: Any, cloud_reply: Any) -> tuple[FunctionModel, FunctionModel, list[ModelClient]]:
    local = FunctionModel(local_reply, endpoint=Endpoint(name="local", model="function:local"))
    cloud = FunctionModel(
        cloud_reply,
        endpoint=Endpoint(
            name="cloud", model="function:cloud", zone=TrustZone.PUBLIC, usd_per_1m_input=1.0, usd_per_1m_output=2.0
        ),
    )
    return local, cloud, [local, EgressGuard(cloud, scanner=Names().detect)]


async def run(clients: list[ModelClient], document: str = DOCUMENT, **kw: Any) -> dict[str, Any]:
    graph = cascade(
        TASK,
        clients,
        RulePolicy(POLICY, {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}, frozenset({"cloud"})),
        redactor=RedactorAgent(detector=Names()),
        **kw,
    )
    result: dict[str, Any] = await graph.ainvoke({"document": document})
    return result


async def test_a_good_local_answer_is_accepted_without_the_cloud() -> None:
    _, cloud, clients = models(lambda r: answer(True, CLAUSE), lambda r: "unused")
    result = await run(clients)
    assert result["status"] == "accepted" and [r["rule"] for r in result["routes"]] == ["local-first"]
    assert json.loads(result["restored"])["quote"] == CLAUSE and not cloud.calls
    e = result["economics"]
    assert e["local_share"] == 1.0 and e["cost_usd"] == 0 and e["counterfactual_usd"] > 0


async def test_a_bad_local_answer_escalates_to_the_cloud_on_excerpts_only() -> None:
    def cloud_reply(request: ChatRequest) -> str:
        sent = request.messages[-1].content
        quote = next(line for line in sent.splitlines() if "aggregate liability" in line).split(". ", 1)[1]
        return answer(True, quote)

    local, cloud, clients = models(lambda r: "I think there is a cap.", cloud_reply)
    result = await run(clients)
    assert [r["rule"] for r in result["routes"]] == ["local-first", "escalate"]
    assert result["status"] == "accepted" and result["answer_zone"] == "public"
    sent = "\n".join(m.content for r in cloud.calls for m in r.messages)
    assert "Acme" not in sent and "Buyer Inc" not in sent and "Two years" not in sent  # pseudonymised excerpts only
    assert len(local.calls) == 2  # the first answer was retried once before escalating
    e = result["economics"]
    assert e["zones"]["public"]["calls"] == 1 and e["local_share"] == pytest.approx(2 / 3)
    assert e["cost_usd"] == pytest.approx(e["zones"]["public"]["cost_usd"]) and e["saved_usd"] >= 0


async def test_restricted_data_stays_local_and_ends_with_a_person() -> None:
    _, cloud, clients = models(lambda r: "no idea", lambda r: answer(True, CLAUSE))
    restricted = DOCUMENT + "\nSTRICTLY CONFIDENTIAL - TRADE SECRET. Internal only. Do not distribute."
    result = await run(clients, restricted)
    assert result["sensitivity"] in ("confidential", "restricted")
    rules = [r["rule"] for r in result["routes"]]
    assert not cloud.calls or result["sensitivity"] != "restricted"
    assert rules[-1] == "stop-after-two" and result["status"] == "needs_human"


async def test_a_spent_budget_keeps_escalations_local_and_says_so() -> None:
    _, cloud, clients = models(lambda r: "no idea", lambda r: answer(False, ""))
    result = await run(clients, budget=Budget(run_usd=0.0))
    assert "guard:budget" in [r["rule"] for r in result["routes"]] and not cloud.calls
    assert result["economics"]["budget_exhausted"] is True


@pytest.mark.parametrize(
    ("answer_text", "verdict", "reason"),
    [
        (answer(True, CLAUSE), "accept", None),
        ("not json", "escalate", "schema"),
        (json.dumps({"found": True}), "escalate", "schema"),
        (answer(True, "The Buyer shall indemnify everyone."), "escalate", "grounding"),
        (answer(True, ""), "escalate", "consistency"),
        (answer(False, CLAUSE), "escalate", "consistency"),
        (answer(False, ""), "accept", None),
    ],
)
def test_the_verifier_checks_schema_grounding_and_consistency(
    answer_text: str, verdict: str, reason: str | None
) -> None:
    from hybridgraph.agents.verifier import verify_answer

    result = verify_answer(TASK, answer_text, DOCUMENT.replace("\n", " \n  "))  # spacing does not matter
    assert result["verdict"] == verdict
    assert (reason is None and not result["reasons"]) or any(r.startswith(str(reason)) for r in result["reasons"])


def test_high_risk_findings_can_require_a_person() -> None:
    from hybridgraph.agents.verifier import verify_answer

    high = json.dumps({"found": True, "quote": CLAUSE, "risk": "high"})
    assert verify_answer(TASK, high, DOCUMENT, high_risk_needs_human=True)["verdict"] == "needs_human"
    assert verify_answer(TASK, high, DOCUMENT)["verdict"] == "accept"


def test_only_matching_excerpts_leave() -> None:
    from hybridgraph.agents.consultant import select_excerpts

    chosen = select_excerpts(DOCUMENT, TASK.query, 3, 900)
    assert any("aggregate liability" in c for c in chosen) and not any("Two years" in c for c in chosen)
    assert select_excerpts(DOCUMENT, "force majeure hurricane", 3, 900) == []


def test_a_cloud_consultant_must_be_behind_the_guard() -> None:
    from hybridgraph.agents.consultant import CloudConsultantAgent
    from hybridgraph.errors import ConfigError

    bare = FunctionModel(lambda r: "x", endpoint=Endpoint(name="c", model="function:c", zone=TrustZone.PUBLIC))
    with pytest.raises(ConfigError, match="egress guard"):
        CloudConsultantAgent(bare, TASK)


PARALLEL_POLICY = policy_of(
    "p",
    [
        {"id": "stop", "when": {"attempt_at_least": 1}, "action": "human"},
        {"id": "criteria", "when": {"task": ["criteria"]}, "action": "cloud_redacted"},
        {"id": "both", "action": "parallel"},
    ],
)


def engine_for(policy: Policy) -> RulePolicy:
    return RulePolicy(policy, {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}, frozenset({"cloud"}))


async def test_parallel_runs_both_and_prefers_an_accepted_local_answer() -> None:
    from hybridgraph.graphs import parallel

    local, cloud, clients = models(lambda r: answer(True, CLAUSE), lambda r: answer(False, ""))
    graph = parallel(TASK, clients, engine_for(PARALLEL_POLICY), redactor=RedactorAgent(detector=Names()))
    result = await graph.ainvoke({"document": DOCUMENT})
    assert local.calls and cloud.calls and len(result["candidates"]) == 2
    assert result["answer_zone"] == "local" and result["status"] == "needs_human"  # they disagree on 'found'
    assert result["verification"]["reasons"] == ["cross-check: the answers disagree"]


async def test_parallel_takes_the_cloud_answer_when_only_it_is_grounded() -> None:
    from hybridgraph.graphs import parallel

    def cloud_reply(request: ChatRequest) -> str:
        line = next(x for x in request.messages[-1].content.splitlines() if "aggregate liability" in x)
        return answer(True, line.split(". ", 1)[1])

    _, _, clients = models(lambda r: answer(True, "made up text"), cloud_reply)
    graph = parallel(TASK, clients, engine_for(PARALLEL_POLICY), redactor=RedactorAgent(detector=Names()))
    result = await graph.ainvoke({"document": DOCUMENT})
    assert result["status"] == "accepted" and result["answer_zone"] == "public" and "restored" in result


async def test_split_sends_the_cloud_no_document_data_and_solves_locally() -> None:
    from hybridgraph.graphs import split

    def local_reply(request: ChatRequest) -> str:
        assert "Review criteria:\n1. look for a cap" in request.messages[-1].content
        return answer(True, CLAUSE)

    _, cloud, clients = models(local_reply, lambda r: "1. look for a cap on total liability")
    rules = (*PARALLEL_POLICY.rules[:2], Rule(id="local", action=Action.LOCAL))
    policy = PARALLEL_POLICY.model_copy(update={"rules": rules})
    result = await split(TASK, clients, engine_for(policy), redactor=RedactorAgent(detector=Names())).ainvoke(
        {"document": DOCUMENT}
    )
    assert [r["rule"] for r in result["routes"]] == ["criteria", "local"]
    sent = "\n".join(m.content for r in cloud.calls for m in r.messages)
    assert len(cloud.calls) == 1 and "liability shall not exceed" not in sent and "ORG_" not in sent
    assert result["status"] == "accepted" and result["answer_zone"] == "local"
    assert [u["step"] for u in result["uses"]] == ["criteria", "solve_local"]


async def test_agreement_between_samples_is_the_local_confidence() -> None:
    from hybridgraph.agents.solver import LocalSolverAgent

    def reply(request: ChatRequest) -> str:  # the deterministic sample and one of three others agree
        return answer(True, CLAUSE) if request.seed in (None, 2) else answer(False, "")

    local = FunctionModel(reply, endpoint=Endpoint(name="local", model="function:local"))
    out = await LocalSolverAgent(local, TASK, samples=4)({"document": DOCUMENT})
    assert out["confidence"] == 0.5 and len(out["uses"]) == 4
    assert json.loads(out["answer"])["found"] is True
    single = await LocalSolverAgent(local, TASK)({"document": DOCUMENT})
    assert single["confidence"] is None and len(single["uses"]) == 1


async def test_a_second_opinion_can_overturn_an_accepted_answer() -> None:
    from hybridgraph.agents.verifier import VerifierAgent

    state: dict[str, Any] = {"document": DOCUMENT, "answer": answer(True, CLAUSE), "answer_zone": "local"}
    no = FunctionModel(lambda r: "No.", endpoint=Endpoint(name="judge", model="function:judge"))
    out = await VerifierAgent(TASK, second_opinion=no)(state)  # type: ignore[arg-type]
    assert out["verification"]["verdict"] == "escalate" and out["uses"][0]["step"] == "verify"
    assert "cap on liability" in no.calls[0].messages[-1].content and CLAUSE in no.calls[0].messages[-1].content
    yes = FunctionModel(lambda r: "yes", endpoint=Endpoint(name="judge", model="function:judge"))
    assert (await VerifierAgent(TASK, second_opinion=yes)(state))["verification"]["verdict"] == "accept"  # type: ignore[arg-type]


async def test_a_spent_day_budget_in_the_audit_log_keeps_the_run_local(tmp_path: Any) -> None:
    from hybridgraph.models import AuditedModel
    from hybridgraph.telemetry import AuditLog
    from hybridgraph.telemetry.audit import AuditRecord

    log = AuditLog(tmp_path / "audit.jsonl")
    earlier = AuditRecord(endpoint="cloud", model_id="m", zone="public", payload_sha256="0" * 64, egress="passed")
    log.append(earlier.model_copy(update={"cost_usd": 0.6}))  # an earlier run today
    local, cloud, _ = models(lambda r: "no idea", lambda r: answer(False, ""))
    clients: list[ModelClient] = [
        AuditedModel(local, log),
        AuditedModel(EgressGuard(cloud, scanner=Names().detect), log),
    ]
    result = await run(clients, budget=Budget(day_usd=0.5, audit=log))
    assert "guard:budget" in [r["rule"] for r in result["routes"]] and not cloud.calls
    assert result["economics"]["budget_exhausted"] is True


APPROVAL = policy_of(
    "approval",
    [
        {"id": "ask-first", "when": {"verdict": ["escalate"], "approved": False}, "action": "human"},
        {"id": "approved", "when": {"verdict": ["escalate"], "approved": True}, "action": "cloud_redacted"},
        {"id": "local-first", "action": "local"},
    ],
)


@pytest.mark.parametrize(
    ("reply", "status", "cloud_called"),
    [
        ({"approved": True}, "accepted", True),
        ({"approved": False}, "rejected", False),
        ({"answer": "x"}, "accepted", False),
    ],
)
async def test_a_human_decision_pauses_the_run_until_a_person_resumes_it(
    reply: dict[str, Any], status: str, cloud_called: bool
) -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    def cloud_reply(request: ChatRequest) -> str:
        line = next(x for x in request.messages[-1].content.splitlines() if "aggregate liability" in x)
        return answer(True, line.split(". ", 1)[1])

    _, cloud, clients = models(lambda r: "no idea", cloud_reply)
    graph = cascade(
        TASK, clients, engine_for(APPROVAL), redactor=RedactorAgent(detector=Names()), checkpointer=InMemorySaver()
    )
    config: Any = {"configurable": {"thread_id": f"t-{status}-{cloud_called}"}}
    paused = await graph.ainvoke({"document": DOCUMENT + "\nCANARY-42"}, config)
    request = paused["__interrupt__"][0].value
    assert request["rule"] == "ask-first" and request["kind"] == "approval" and request["verdict"] == "escalate"
    assert "CANARY" not in json.dumps(request) and "Acme" not in json.dumps(request) and not cloud.calls
    result = await graph.ainvoke(Command(resume=reply), config)
    assert result["status"] == status and bool(cloud.calls) is cloud_called
    if "answer" in reply:
        assert result["restored"] == "x"


async def test_without_a_checkpointer_a_human_decision_ends_the_run() -> None:
    _, cloud, clients = models(lambda r: "no idea", lambda r: "unused")
    graph = cascade(TASK, clients, engine_for(APPROVAL), redactor=RedactorAgent(detector=Names()))
    result = await graph.ainvoke({"document": DOCUMENT})
    assert result["status"] == "needs_human" and "__interrupt__" not in result and not cloud.calls


async def test_a_paused_run_resumes_after_a_restart_from_sqlite(tmp_path: Any) -> None:
    from langgraph.types import Command

    from hybridgraph.graphs import sqlite_checkpointer
    from hybridgraph.tools.pii.vault_store import VaultStore

    def cloud_reply(request: ChatRequest) -> str:  # an answer with a placeholder: restoring it needs the vault
        return answer(True, "<ORG_1>")

    config: Any = {"configurable": {"thread_id": "durable-1"}}
    db, vaults = tmp_path / "runs.sqlite", VaultStore(tmp_path / "vault")

    def build(saver: Any) -> tuple[Any, FunctionModel]:  # a new process: new agents, new vault cache
        _, cloud, clients = models(lambda r: "no idea", cloud_reply)
        redactor = RedactorAgent(detector=Names(), store=vaults)
        return cascade(TASK, clients, engine_for(APPROVAL), redactor=redactor, checkpointer=saver), cloud

    async with sqlite_checkpointer(db) as saver:
        graph, _ = build(saver)
        assert "__interrupt__" in await graph.ainvoke({"document": DOCUMENT}, config)
    async with sqlite_checkpointer(db) as saver:
        graph, cloud = build(saver)
        result = await graph.ainvoke(Command(resume={"approved": True}), config)
    assert result["status"] == "accepted" and cloud.calls and result["answer_zone"] == "public"
    assert json.loads(result["restored"])["quote"] == "Acme Ltd" and result["unrestored"] == []


async def test_the_strict_preset_sends_confidential_data_out_only_after_approval() -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    local = FunctionModel(lambda r: "no idea", endpoint=Endpoint(name="local-smollm2", model="function:local"))
    cloud = FunctionModel(
        lambda r: answer(True, "<ORG_1>"),
        endpoint=Endpoint(name="cloud-gpt", model="function:cloud", zone=TrustZone.PUBLIC, usd_per_1m_input=1.0),
    )
    policy = RulePolicy(Policy.preset("strict"), {"local-smollm2": TrustZone.LOCAL, "cloud-gpt": TrustZone.PUBLIC})
    clients: list[ModelClient] = [local, EgressGuard(cloud, scanner=Names().detect)]
    graph = cascade(TASK, clients, policy, redactor=RedactorAgent(detector=Names()), checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "strict-1"}}
    confidential = DOCUMENT + "\nThis Agreement is confidential."
    paused = await graph.ainvoke({"document": confidential}, config)
    assert (
        paused["sensitivity"] == "confidential" and paused["__interrupt__"][0].value["rule"] == "confidential-approval"
    )
    assert not cloud.calls
    result = await graph.ainvoke(Command(resume={"approved": True}), config)
    rules = [r["rule"] for r in result["routes"]]
    assert rules == ["local-first", "confidential-approval", "confidential-approved"], rules
    assert result["status"] == "accepted" and len(cloud.calls) == 1
    assert json.loads(result["restored"])["quote"] == "Acme Ltd"


async def test_checkpoints_are_encrypted_at_rest(tmp_path: Any) -> None:
    from langgraph.types import Command

    from hybridgraph.graphs.checkpoints import sqlite_checkpointer

    _, _, clients = models(lambda r: answer(True, CLAUSE), lambda r: "unused")
    policy = RulePolicy(
        policy_of("ask", [{"id": "ask", "action": "human"}]), {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}
    )
    config = {"configurable": {"thread_id": "enc"}}
    async with sqlite_checkpointer(tmp_path / "runs.sqlite", key=new_key()) as saver:
        graph = cascade(TASK, clients, policy, redactor=RedactorAgent(detector=Names()), checkpointer=saver)
        await graph.ainvoke({"document": DOCUMENT}, config)
        assert (await graph.aget_state(config)).values["document"] == DOCUMENT  # readable with the key
        await graph.ainvoke(Command(resume={"approved": False}), config)
    stored = (tmp_path / "runs.sqlite").read_bytes()
    assert b"Acme Ltd" not in stored and b"aggregate liability" not in stored
    from hybridgraph.errors import PrivacyError

    async with sqlite_checkpointer(tmp_path / "runs.sqlite", key=new_key()) as other:
        graph = cascade(TASK, clients, policy, redactor=RedactorAgent(detector=Names()), checkpointer=other)
        with pytest.raises(PrivacyError, match="cannot be decrypted"):
            await graph.aget_state(config)


def new_key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


async def test_a_postgres_url_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from hybridgraph.errors import DependencyMissingError
    from hybridgraph.graphs.checkpoints import open_checkpointer

    if importlib.util.find_spec("langgraph.checkpoint.postgres") is not None:
        pytest.skip("the postgres extra is installed")
    monkeypatch.setenv("HYBRIDGRAPH_CHECKPOINT_URL", "postgresql://localhost:5432/runs")
    with pytest.raises(DependencyMissingError, match=r"hybridgraph\[postgres\]"):
        async with open_checkpointer():
            pass


async def test_an_accepted_but_doubtful_local_answer_escalates_on_its_token_confidence() -> None:
    from hybridgraph.models import Completion

    def local_reply(logprob: float) -> Any:
        def reply(request: ChatRequest) -> Completion:
            assert request.logprobs  # the solver asks for them
            text = answer(True, CLAUSE)
            return Completion(
                text=text, endpoint="local", model="function:local", zone=TrustZone.LOCAL, logprobs=(0.0, logprob)
            )

        return reply

    doubt = policy_of(
        "doubt",
        [
            {"id": "doubtful", "when": {"token_confidence_below": 0.5}, "action": "cloud_redacted"},
            {"id": "local-first", "action": "local"},
        ],
    )
    zones = {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC}
    for logprob, rules in ((-3.0, ["local-first", "doubtful"]), (-0.1, ["local-first"])):
        _, cloud, clients = models(local_reply(logprob), lambda r: answer(True, CLAUSE.split(" in ")[0]))
        graph = cascade(TASK, clients, RulePolicy(doubt, zones, frozenset({"cloud"})), redactor=NAMES)
        result = await graph.ainvoke({"document": DOCUMENT})
        assert [r["rule"] for r in result["routes"]] == rules
        assert result["token_confidence"] == pytest.approx(math.exp(logprob / 2))
        assert result["status"] == "accepted" and len(cloud.calls) == (logprob < -1)
        assert result["answer_zone"] == ("public" if logprob < -1 else "local")


async def test_accepted_answers_with_low_sample_agreement_escalate_with_the_balanced_preset() -> None:
    def reply(request: ChatRequest) -> str:  # the samples disagree: confidence 1/3
        return answer(True, CLAUSE) if request.seed is None else answer(False, "")

    _, cloud, clients = models(reply, lambda r: answer(True, CLAUSE.split(" in ")[0]))
    policy = RulePolicy(
        Policy.preset("balanced").model_copy(update={"local_endpoint": "local", "cloud_endpoint": "cloud"}),
        {"local": TrustZone.LOCAL, "cloud": TrustZone.PUBLIC},
        frozenset({"cloud"}),
    )
    result = await cascade(TASK, clients, policy, samples=3, redactor=NAMES).ainvoke({"document": DOCUMENT})
    assert [r["rule"] for r in result["routes"]] == ["local-first", "escalate-on-low-confidence"]
    assert result["status"] == "accepted" and result["answer_zone"] == "public" and len(cloud.calls) == 1
