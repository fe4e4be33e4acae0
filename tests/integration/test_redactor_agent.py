"""RedactorAgent as a LangGraph node, per-chunk classification, and the encrypted vault store."""

from __future__ import annotations

import itertools
import stat
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph

from hybridgraph.agents import RedactorAgent
from hybridgraph.errors import ConfigError, InputError, PrivacyError
from hybridgraph.state import NodeName, RunState
from hybridgraph.tools.pii import Vault
from hybridgraph.tools.pii.vault_store import VaultStore
from hybridgraph.zones import Sensitivity

pytestmark = pytest.mark.integration

PUBLIC_PART = "The parties agree on the delivery schedule for the northern warehouse.\n\n" * 40
PRIVATE_PART = (
    "Payment goes to Maria Gonzalez, IBAN DE89370400440532013000, maria.gonzalez@harborcrest.com.\n"
    "Nordwind Logistik GmbH confirms.\n"
)


def _graph(agent: RedactorAgent, answer: str) -> Any:
    async def answer_node(state: RunState) -> dict[str, str]:
        return {"answer": answer}

    graph = StateGraph(RunState)
    graph.add_node(NodeName.REDACT, agent)
    graph.add_node("answer", answer_node)
    graph.add_node(NodeName.RESTORE, agent.restore)
    graph.add_edge(START, NodeName.REDACT)
    graph.add_edge(NodeName.REDACT, "answer")
    graph.add_edge("answer", NodeName.RESTORE)
    graph.add_edge(NodeName.RESTORE, END)
    return graph.compile()


async def test_redactor_node_classifies_each_chunk_and_restores_the_answer() -> None:
    agent = RedactorAgent()
    graph = _graph(agent, "Pay person_1 via <IBAN_1>; ask <ORG_\n1> and <PERSON_9>.")
    state = await graph.ainvoke({"document": PUBLIC_PART + PRIVATE_PART}, {"configurable": {"thread_id": "run-a1"}})
    assert state["run_id"] == "run-a1"
    for value in ("Maria Gonzalez", "DE89370400440532013000", "harborcrest", "Nordwind"):
        assert value not in state["redacted"]
    assert state["sensitivity"] is Sensitivity.RESTRICTED
    chunks = state["chunks"]
    assert chunks[0]["start"] == 0 and chunks[-1]["end"] == len(PUBLIC_PART + PRIVATE_PART)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(chunks))
    assert chunks[0]["sensitivity"] is Sensitivity.INTERNAL  # the plain part, not the whole document's level
    assert chunks[-1]["sensitivity"] is Sensitivity.RESTRICTED
    assert state["entity_counts"]["IBAN_CODE"] == 1
    assert "Maria Gonzalez" in state["restored"] and "DE89370400440532013000" in state["restored"]
    assert "Nordwind Logistik GmbH" in state["restored"]
    assert state["unrestored"] == ["<PERSON_9>"]
    assert any("no value" in w for w in state["warnings"])
    assert not any("Maria" in r for r in state["sensitivity_reasons"])  # reasons name types, never values


async def test_text_in_another_language_is_restricted_with_a_warning() -> None:
    german = (
        "Dieser Vertrag wird zwischen der Nordwind Logistik GmbH und der Firma Hafenkante geschlossen. "
        "Der Lieferant verpflichtet sich, die Waren innerhalb von dreißig Tagen zu liefern. Die Zahlung "
        "erfolgt auf das Konto bei der Sparkasse. Gerichtsstand ist Hamburg, es gilt deutsches Recht."
    )
    update = await RedactorAgent()({"document": german})
    assert update["sensitivity"] is Sensitivity.RESTRICTED
    assert any("English" in w for w in update["warnings"])


async def test_an_empty_document_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="empty"):
        await RedactorAgent()({"document": "  \n"})


async def test_a_persisted_vault_is_encrypted_and_survives_a_new_agent(tmp_path: Path) -> None:
    store = VaultStore(tmp_path)
    first = RedactorAgent(store=store)
    update = await first({"document": PRIVATE_PART, "run_id": "run-b2"})
    on_disk = (tmp_path / "run-b2.vault").read_bytes()
    assert b"Maria" not in on_disk and b"DE8937" not in on_disk
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    second = RedactorAgent(store=VaultStore(tmp_path))  # e.g. after a restart
    restored = await second.restore({"run_id": "run-b2", "answer": update["redacted"]})
    assert restored["restored"] == PRIVATE_PART and restored["unrestored"] == []


def test_a_vault_cannot_be_read_with_another_key(tmp_path: Path) -> None:
    vault = Vault()
    vault.token_for("PERSON", "Maria Gonzalez")
    VaultStore(tmp_path).save("run-c3", vault)
    from cryptography.fernet import Fernet

    with pytest.raises(PrivacyError, match="cannot be decrypted"):
        VaultStore(tmp_path, key=Fernet.generate_key()).load("run-c3")
    with pytest.raises(ConfigError, match="not a valid run id"):
        VaultStore(tmp_path).load("../../etc/passwd")
    with pytest.raises(ConfigError, match="Fernet"):
        VaultStore(tmp_path, key=b"short")
