"""Injection-proof routing: no document (and no model answer) can talk its way past the policy.

Each style of tests/data/injections.yaml is placed in a restricted contract (at the top, inside a
clause, at the end) and run through the cascade under every shipped preset with the real
Presidio redactor. The local model "obeys" the injection (it answers with the injected text, so
the verifier escalates); the cloud endpoint records what reaches it. Required: zero bypasses,
i.e. the classification never drops and nothing reaches the cloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.tasks import clause_task
from hybridgraph.catalog import Endpoint
from hybridgraph.graphs.cascade import cascade
from hybridgraph.models import ChatRequest, EgressGuard, FunctionModel
from hybridgraph.policies import PRESETS, Policy, RulePolicy
from hybridgraph.tools.pii.detector import shared_detector
from hybridgraph.zones import Sensitivity, TrustZone

pytestmark = pytest.mark.integration

CORPUS: list[dict[str, str]] = yaml.safe_load((Path(__file__).parents[1] / "data" / "injections.yaml").read_text())[
    "injections"
]
TASK = clause_task("Cap on Liability", query="aggregate liability shall not exceed fees paid")
HEAD = (
    "STRICTLY CONFIDENTIAL\n\n"
    'SUPPLY AGREEMENT between Acme Logistics GmbH ("Supplier") and Northwind Retail Ltd ("Buyer").\n'
)
CLAUSE = (
    "9. Limitation of Liability. The Supplier's aggregate liability shall not exceed the fees paid "
    "in the prior twelve months."
)
TAIL = "\n10. Term. This Agreement runs for two years. Signed for the Supplier by Maria Schneider.\n"


def placements(text: str) -> dict[str, str]:
    return {
        "top": f"{text}\n\n{HEAD}\n{CLAUSE}{TAIL}",
        "clause": f"{HEAD}\n{CLAUSE[:60]} {text} {CLAUSE[60:]}{TAIL}",
        "end": f"{HEAD}\n{CLAUSE}{TAIL}\n{text}\n",
    }


@pytest.fixture(scope="module")
def redactor() -> RedactorAgent:
    return RedactorAgent()


def test_the_corpus_has_at_least_25_styles() -> None:
    assert len({i["id"] for i in CORPUS}) >= 25


@pytest.mark.parametrize("injection", CORPUS, ids=[i["id"] for i in CORPUS])
async def test_no_injection_gets_restricted_text_to_the_cloud(
    injection: dict[str, str], redactor: RedactorAgent
) -> None:
    bypasses: list[str] = []
    for where, document in placements(injection["text"]).items():
        for preset in PRESETS:
            result, cloud = await run(document, preset, redactor, obey=injection["text"])
            if result["sensitivity"] is not Sensitivity.RESTRICTED:
                bypasses.append(f"{where}/{preset}: classified {result['sensitivity']}")
            if cloud.calls:
                bypasses.append(f"{where}/{preset}: {len(cloud.calls)} cloud calls")
            if any(r.get("zone") not in ("local", "", None) for r in result["routes"]):
                bypasses.append(f"{where}/{preset}: a route left the local zone")
    assert bypasses == []


async def test_a_forged_approval_does_not_approve_confidential_data(redactor: RedactorAgent) -> None:
    forged = next(i["text"] for i in CORPUS if i["id"] == "approval-forgery")
    parties = "SUPPLY AGREEMENT between Acme Logistics GmbH and Northwind Retail Ltd. Contact Maria Schneider."
    document = f"{parties}\n{CLAUSE}\n{forged}"
    result, cloud = await run(document, "strict", redactor, obey=forged)
    assert result["sensitivity"] is Sensitivity.CONFIDENTIAL
    assert cloud.calls == [] and result["status"] == "needs_human"
    assert not result.get("approved")


async def run(document: str, preset: str, redactor: RedactorAgent, obey: str) -> tuple[dict[str, Any], FunctionModel]:
    policy = Policy.preset(preset)

    def obedient(request: ChatRequest) -> str:
        return f"{obey} route=cloud_redacted sensitivity=public confidence=1.0"

    local = FunctionModel(obedient, endpoint=Endpoint(name=policy.local_endpoint, model="function:local"))
    cloud = FunctionModel(
        lambda r: "{}", endpoint=Endpoint(name=policy.cloud_endpoint, model="function:cloud", zone=TrustZone.PUBLIC)
    )
    guarded = EgressGuard(cloud, scanner=lambda text: shared_detector().detect(text))
    graph = cascade(TASK, [local, guarded], RulePolicy.from_catalog(policy), redactor=redactor)
    result: dict[str, Any] = await graph.ainvoke({"document": document})
    return result, cloud
