"""No entry, no call: ``AuditedModel`` writes an intent before every non-local call and does not
make the call when the intent cannot be written; the outcome entry names the intent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hybridgraph.errors import AuditError, PrivacyError
from hybridgraph.models import AuditedModel, ChatRequest, FunctionModel
from hybridgraph.telemetry.audit import AuditLog
from hybridgraph.telemetry.audit_head import HeadStore
from hybridgraph.telemetry.audit_verify import verify_log
from hybridgraph.zones import TrustZone

PROMPT = "Review <ORG_1>'s clause."


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit" / "audit.jsonl", heads=HeadStore(tmp_path / "heads"))


def entries(log: AuditLog) -> list[dict[str, Any]]:
    if not log.path.exists():
        return []
    return [json.loads(line) for line in log.path.read_text().splitlines()]


def client(log: AuditLog, zone: TrustZone, fn: Callable[[ChatRequest], str]) -> tuple[AuditedModel, FunctionModel]:
    inner = FunctionModel(fn, name="cloud" if zone is not TrustZone.LOCAL else "local", zone=zone)
    return AuditedModel(inner, log), inner


@pytest.mark.parametrize("zone", [TrustZone.PUBLIC, TrustZone.PRIVATE])
async def test_the_intent_is_logged_before_the_call_and_the_outcome_names_it(log: AuditLog, zone: TrustZone) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: ChatRequest) -> str:
        seen.extend(entries(log))  # what the log holds while the call is being made
        return "fine"

    audited, inner = client(log, zone, answer)
    await audited.complete(ChatRequest.from_prompt(PROMPT))
    assert len(inner.calls) == 1 and [e["kind"] for e in seen] == ["intent"]
    intent, outcome = entries(log)
    assert intent == seen[0] and intent["egress"] == "pending" and intent["redactions"] == {"ORG": 1}
    assert outcome["kind"] == "outcome" and outcome["intent"] == intent["seq"] == 1
    assert outcome["payload_sha256"] == intent["payload_sha256"] and outcome["output_tokens"] == 1
    assert PROMPT not in log.path.read_text() and verify_log(log.path, log).ok


async def test_a_streamed_call_is_announced_before_its_first_chunk(log: AuditLog) -> None:
    seen: list[str] = []

    def answer(request: ChatRequest) -> str:
        seen.extend(e["kind"] for e in entries(log))
        return "one two"

    audited, _ = client(log, TrustZone.PUBLIC, answer)
    text = "".join([c.delta async for c in audited.stream(ChatRequest.from_prompt(PROMPT))])
    assert text == "one two" and seen == ["intent"]
    assert [e["kind"] for e in entries(log)] == ["intent", "outcome"]


def break_last_line(log: AuditLog) -> None:
    with log.path.open("a") as fh:
        fh.write('{"seq": 3, "kind": "outc')


async def test_a_broken_last_line_stops_a_cloud_call_before_anything_is_sent(log: AuditLog) -> None:
    audited, inner = client(log, TrustZone.PUBLIC, lambda r: "fine")
    await audited.complete(ChatRequest.from_prompt(PROMPT))
    break_last_line(log)
    for call in (
        lambda: audited.complete(ChatRequest.from_prompt(PROMPT)),
        lambda: anext(aiter(audited.stream(ChatRequest.from_prompt(PROMPT)))),
    ):
        with pytest.raises(AuditError) as info:
            await call()
        assert isinstance(info.value, PrivacyError) and "last line" in info.value.message
        assert PROMPT not in str(info.value) and "ORG" not in str(info.value)
    assert len(inner.calls) == 1  # only the call before the damage
    assert log.path.read_text().endswith('"outc')  # and nothing was appended after it


async def test_a_deleted_head_or_cut_tail_stops_a_cloud_call(log: AuditLog) -> None:
    audited, inner = client(log, TrustZone.PUBLIC, lambda r: "fine")
    for _ in range(2):
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    lines = log.path.read_text().splitlines(keepends=True)
    log.path.write_text("".join(lines[:2]))
    with pytest.raises(AuditError, match="cut off the end"):
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    log.path.write_text("".join(lines))
    log.heads.path(log.path).unlink()
    with pytest.raises(AuditError, match="no head"):
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    assert len(inner.calls) == 2


async def test_an_unwritable_log_stops_a_cloud_call(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    audited, inner = client(AuditLog(blocker / "audit.jsonl"), TrustZone.PUBLIC, lambda r: "fine")
    with pytest.raises(AuditError, match="cannot open the audit log"):
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    assert inner.calls == []


async def test_a_local_call_has_one_entry_after_it(log: AuditLog) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: ChatRequest) -> str:
        seen.extend(entries(log))
        return "fine"

    audited, inner = client(log, TrustZone.LOCAL, answer)
    await audited.complete(ChatRequest.from_prompt(PROMPT))
    assert seen == [] and [(e["kind"], e["intent"], e["egress"]) for e in entries(log)] == [("call", 0, "local")]
    break_last_line(log)
    with pytest.raises(AuditError):  # the local call was made; its entry could not be
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    assert len(inner.calls) == 2


async def test_a_failed_cloud_call_completes_its_intent_with_the_error(log: AuditLog) -> None:
    def fail(request: ChatRequest) -> str:
        raise RuntimeError("down")

    audited, _ = client(log, TrustZone.PUBLIC, fail)
    with pytest.raises(RuntimeError):
        await audited.complete(ChatRequest.from_prompt(PROMPT))
    intent, outcome = entries(log)
    assert outcome["intent"] == intent["seq"] and outcome["outcome"] == "RuntimeError"
