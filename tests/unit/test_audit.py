"""The audit log: MAC chain, tamper detection (edit, deletion, insertion, reordering, cut end),
and appends from threads and processes that never interleave. Tampering without the key, the
head, duplicate keys and legacy logs are in test_audit_tamper.py."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hybridgraph.errors import AuditError, PrivacyError
from hybridgraph.telemetry.audit import GENESIS, AuditEntry, AuditLog, AuditRecord
from hybridgraph.telemetry.audit_verify import verify_log


def record(i: int) -> AuditRecord:
    return AuditRecord(
        run_id=f"run-{i}",
        step="solve",
        endpoint="local-smollm2",
        model_id="gguf-sha256:" + "ab" * 32,
        zone="local",
        payload_sha256=f"{i:064x}",
        input_tokens=10 + i,
        egress="local",
    )


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(5):
        log.append(record(i))
    return log


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines(keepends=True)


def rewrite(log: AuditLog, new: list[str]) -> None:
    log.path.write_text("".join(new))


def test_entries_are_numbered_and_chained(log: AuditLog) -> None:
    entries = [json.loads(line) for line in lines(log)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev"] == GENESIS
    assert all(b["prev"] == a["mac"] for a, b in itertools.pairwise(entries))
    assert {e["kind"] for e in entries} == {"call"} and len({e["key_id"] for e in entries}) == 1
    result = verify_log(log.path)
    assert result.ok and result.entries == 5


def test_an_edited_entry_is_named(log: AuditLog) -> None:
    content = lines(log)
    content[2] = content[2].replace('"input_tokens":12', '"input_tokens":1200')
    rewrite(log, content)
    result = verify_log(log.path)
    assert not result.ok and result.line == 3 and "edited" in result.problem and result.entries == 2


def test_an_edit_with_a_recomputed_mac_breaks_the_chain_after_it(log: AuditLog) -> None:
    content = lines(log)
    entry = AuditEntry.model_validate_json(content[1]).model_copy(update={"cost_usd": 99.0})
    content[1] = entry.signed(log.key).model_dump_json() + "\n"  # even with the key
    rewrite(log, content)
    result = verify_log(log.path)
    assert result.line == 3 and "does not follow" in result.problem


def test_a_deleted_entry_is_named(log: AuditLog) -> None:
    content = lines(log)
    del content[1]
    rewrite(log, content)
    result = verify_log(log.path)
    assert result.line == 2 and "deleted, inserted or moved" in result.problem


def test_reordered_entries_are_named(log: AuditLog) -> None:
    content = lines(log)
    content[1], content[2] = content[2], content[1]
    rewrite(log, content)
    assert verify_log(log.path).line == 2


def test_an_inserted_copy_is_named(log: AuditLog) -> None:
    content = lines(log)
    content.insert(3, content[1])
    rewrite(log, content)
    assert verify_log(log.path).line == 4


def test_entries_cut_off_the_end_are_found_through_the_head(log: AuditLog) -> None:
    rewrite(log, lines(log)[:3])
    result = verify_log(log.path)
    assert not result.ok and "cut off the end" in result.problem and result.entries == 3


def test_a_log_copied_without_its_head_fails_with_the_fix(log: AuditLog, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    copy.write_text(log.path.read_text())
    result = verify_log(copy)
    assert not result.ok and "5 entries but no head" in result.problem and result.entries == 5
    assert "hybridgraph audit rotate" in result.fix and "HYBRIDGRAPH_HOME" in result.fix


def test_a_damaged_last_line_stops_appends_with_the_fix(log: AuditLog) -> None:
    with log.path.open("a") as fh:
        fh.write('{"seq": 6, "ha')
    with pytest.raises(AuditError) as info:
        log.append(record(6))
    assert isinstance(info.value, PrivacyError)
    assert "not a complete audit entry" in info.value.message and "audit verify" in (info.value.fix or "")
    assert log.path.read_text().endswith('"ha')  # nothing was appended
    assert "not a complete audit entry" in verify_log(log.path).problem


def test_threads_append_whole_chained_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: log.append(record(i)), range(200)))
    result = verify_log(log.path)
    assert result.ok and result.entries == 200


def test_processes_append_whole_chained_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    assert AuditLog(path).key  # the data key exists before the processes derive the audit key from it
    script = (
        "import sys; from pathlib import Path; from hybridgraph.telemetry.audit import AuditLog, AuditRecord\n"
        "log = AuditLog(Path(sys.argv[1]))\n"
        "for i in range(60): log.append(AuditRecord(run_id=sys.argv[2], endpoint='e', model_id='m', zone='local',"
        " payload_sha256='0' * 64, egress='local'))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), f"p{i}"]) for i in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    result = verify_log(path)
    assert result.ok and result.entries == 240
    runs = [json.loads(line)["run_id"] for line in path.read_text().splitlines()]
    assert sorted(set(runs)) == ["p0", "p1", "p2", "p3"]


def test_an_unwritable_log_names_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AuditError) as info:
        AuditLog(blocker / "audit.jsonl").append(record(0))
    assert "HYBRIDGRAPH_AUDIT_LOG" in (info.value.fix or "")


def test_spending_since_a_time_reads_the_log_from_the_end(tmp_path: Path) -> None:
    import datetime as dt

    from hybridgraph.telemetry.audit import _lines_backwards

    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(30):
        log.append(record(i).model_copy(update={"cost_usd": 0.5}))
    lines = log.path.read_text().splitlines()
    old = [json.loads(x) | {"time": "2020-01-01T00:00:00.000000+00:00"} for x in lines[:10]]
    log.path.write_text("".join(json.dumps(e) + "\n" for e in old) + "\n".join(lines[10:]) + "\n")
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    usd, tokens = log.spent_since(today)
    assert usd == 10.0 and tokens == sum(10 + i for i in range(10, 30))
    fd = os.open(log.path, os.O_RDONLY)
    try:
        assert [json.loads(x)["seq"] for x in _lines_backwards(fd, block=97)] == list(range(30, 0, -1))
    finally:
        os.close(fd)
    assert AuditLog(tmp_path / "none.jsonl").spent_since(today) == (0.0, 0)

    other = AuditLog(log.path)  # another process appends to the same log
    for i in range(30, 35):
        other.append(record(i).model_copy(update={"cost_usd": 1.0}))
    assert log.spent_since(today) == (15.0, tokens + sum(10 + i for i in range(30, 35)))
    with log.path.open("ab") as fh:
        fh.write(b'{"time": "2999-01-01T00:00:00.000000+00:00", "cost_usd": 2.0')  # still being written
    assert log.spent_since(today)[0] == 15.0
    with log.path.open("ab") as fh:
        fh.write(b', "input_tokens": 1}\n')
    assert log.spent_since(today)[0] == 17.0
    log.path.write_text("".join(json.dumps(e) + "\n" for e in old))  # a shorter log: counted afresh
    assert log.spent_since(today) == (0.0, 0)
