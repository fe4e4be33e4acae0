"""Tampering with the audit log by someone without its key: a cut tail, a deleted head, a chain
re-computed with plain SHA-256 or another key, a repeated JSON key; the head that lags after a
crash; legacy unkeyed logs; and ``rotate``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hybridgraph.errors import AuditError
from hybridgraph.telemetry.audit import GENESIS, AuditLog, AuditRecord
from hybridgraph.telemetry.audit_head import HeadStore
from hybridgraph.telemetry.audit_verify import verify_log


def record(i: int, egress: str = "passed") -> AuditRecord:
    return AuditRecord(
        run_id=f"run-{i}", endpoint="cloud", model_id="m", zone="public", payload_sha256=f"{i:064x}", egress=egress
    )


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    (tmp_path / "audit").mkdir()
    log = AuditLog(tmp_path / "audit" / "audit.jsonl", heads=HeadStore(tmp_path / "vault" / "audit-heads"))
    for i in range(5):
        log.append(record(i, "blocked" if i == 2 else "passed"))
    return log


def entries(log: AuditLog) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.path.read_text().splitlines()]


def write(log: AuditLog, rows: list[dict[str, object]]) -> None:
    log.path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def check(log: AuditLog) -> tuple[bool, str, str]:
    result = verify_log(log.path, log)
    return result.ok, result.problem, result.fix


def test_the_head_lives_outside_the_logs_folder(log: AuditLog) -> None:
    head = log.heads.path(log.path)
    assert head.exists() and head.parent != log.path.parent
    assert [p.name for p in log.path.parent.iterdir()] == ["audit.jsonl"]
    assert head.stat().st_mode & 0o777 == 0o600 and head.parent.stat().st_mode & 0o777 == 0o700
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert HeadStore().folder.parts[-2:] == ("vault", "audit-heads")  # the default: beside the data key


def test_a_new_log_folder_is_owner_only(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "new" / "audit" / "audit.jsonl", heads=HeadStore(tmp_path / "heads"))
    log.append(record(0))
    assert [oct(p.stat().st_mode & 0o777) for p in (log.path.parent, log.path.parent.parent)] == ["0o700", "0o700"]


def test_a_cut_tail_is_found(log: AuditLog) -> None:
    write(log, entries(log)[:3])
    ok, problem, _ = check(log)
    assert not ok and "ends at entry 3, but its head records entry 5" in problem
    with pytest.raises(AuditError, match="cut off the end"):
        log.append(record(9))


def test_a_cut_tail_with_its_head_deleted_is_found(log: AuditLog) -> None:
    write(log, entries(log)[:3])
    log.heads.path(log.path).unlink()
    ok, problem, fix = check(log)
    assert not ok and "3 entries but no head" in problem and "hybridgraph audit rotate" in fix
    with pytest.raises(AuditError, match="no head"):
        log.append(record(9))  # an append would otherwise write a new head that hides the cut


def test_a_deleted_log_with_its_head_left_is_found(log: AuditLog) -> None:
    log.path.unlink()
    ok, problem, _ = check(log)
    assert not ok and "head records entry 5" in problem
    with pytest.raises(AuditError):
        log.append(record(9))


def rechain(rows: list[dict[str, object]], mac: object) -> list[dict[str, object]]:
    """The chain an attacker without the key computes: each row's MAC by ``mac``, renumbered."""
    out, prev = [], GENESIS
    for seq, row in enumerate(rows, start=1):
        body = {k: v for k, v in row.items() if k != "mac"} | {"seq": seq, "prev": prev}
        digest = mac(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())  # type: ignore[operator]
        out.append(body | {"mac": digest})
        prev = digest
    return out


@pytest.mark.parametrize("delete_head", [False, True])
def test_a_chain_rehashed_without_the_key_fails(log: AuditLog, delete_head: bool) -> None:
    rows = [row for row in entries(log) if row["egress"] != "blocked"]  # drop the blocked entry
    write(log, rechain(rows, lambda b: hashlib.sha256(b).hexdigest()))
    if delete_head:
        log.heads.path(log.path).unlink()
    ok, problem, _ = check(log)
    assert not ok and problem.startswith("entry 1 (line 1) was edited") and "without the key" in problem


def test_a_chain_signed_with_another_key_fails(log: AuditLog, tmp_path: Path) -> None:
    import hmac

    rows = entries(log)[:4]
    write(log, rechain(rows, lambda b: hmac.new(b"k" * 32, b, hashlib.sha256).hexdigest()))
    assert check(log)[1].startswith("entry 1 (line 1) was edited")
    other = AuditLog(log.path, key=b"another key of at least thirty-two bytes", heads=log.heads)
    result = verify_log(log.path, other)
    assert not result.ok and "another audit key" in result.problem and "HYBRIDGRAPH_AUDIT_KEY" in result.fix


def test_a_repeated_json_key_is_found_although_the_mac_still_matches(log: AuditLog) -> None:
    lines = log.path.read_text().splitlines(keepends=True)
    assert '"egress":"passed"' in lines[3]
    lines[3] = lines[3].replace('"egress":"passed"', '"egress":"blocked","egress":"passed"')
    assert json.loads(lines[3])["egress"] == "passed"  # plain json keeps the last: the MAC matches
    log.path.write_text("".join(lines))
    result = verify_log(log.path, log)
    assert not result.ok and result.line == 4 and "has the key 'egress' twice" in result.problem


def test_an_append_checks_the_last_entrys_mac(log: AuditLog) -> None:
    rows = entries(log)
    rows[-1]["cost_usd"] = 0.5  # edited in place: the head still names its (old) MAC
    write(log, rows)
    with pytest.raises(AuditError, match="does not carry this key's MAC"):
        log.append(record(9))
    other = AuditLog(log.path, key=b"another key of at least thirty-two bytes", heads=log.heads)
    rows[-1]["cost_usd"] = 0.0
    write(log, rows)
    with pytest.raises(AuditError, match="another audit key"):
        other.append(record(9))
    assert len(entries(log)) == 5


def test_a_forged_head_is_refused(log: AuditLog) -> None:
    head = log.heads.path(log.path)
    data = json.loads(head.read_text())
    write(log, entries(log)[:3])
    head.write_text(json.dumps({"seq": 3, "mac": entries(log)[2]["mac"], "seal": data["seal"]}))
    ok, problem, _ = check(log)
    assert not ok and "damaged, forged, or sealed with another key" in problem
    with pytest.raises(AuditError, match="forged"):
        log.append(record(9))


def test_a_head_one_entry_behind_after_a_crash_is_accepted_and_caught_up(log: AuditLog) -> None:
    head = log.heads.path(log.path)
    before = head.read_bytes()
    log.append(record(5))
    head.write_bytes(before)  # the process died between the line and its head
    assert check(log)[0]
    log.append(record(6))
    assert check(log)[0] and json.loads(head.read_text())["seq"] == 7
    head.write_bytes(before)  # two behind: not a crash
    assert not check(log)[0]


def legacy_log(path: Path, n: int) -> None:
    prev, rows = GENESIS, []
    for seq in range(1, n + 1):
        row = record(seq).model_dump(exclude={"kind", "intent"}) | {"seq": seq, "time": "t", "prev": prev}
        row["hash"] = hashlib.sha256(json.dumps(row, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        rows.append(row)
        prev = str(row["hash"])
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    path.with_name(path.name + ".head").write_text(json.dumps({"seq": n, "hash": prev}))


def test_a_legacy_log_is_reported_as_legacy_and_rotated_to_start_a_keyed_one(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", heads=HeadStore(tmp_path / "heads"))
    legacy_log(log.path, 3)
    result = verify_log(log.path, log)
    assert result.legacy and not result.ok and not result.problem and result.entries == 3
    with pytest.raises(AuditError, match="old unkeyed format") as info:
        log.append(record(4))
    assert "hybridgraph audit rotate" in (info.value.fix or "")
    log.path.write_text(log.path.read_text().replace('"run-2"', '"run-X"'))
    damaged = verify_log(log.path, log)
    assert damaged.legacy and damaged.line == 2 and "legacy entry 2" in damaged.problem
    aside = log.rotate()
    assert aside.with_name(aside.name + ".head").exists() and not log.path.with_name("audit.jsonl.head").exists()
    log.append(record(4))
    assert verify_log(log.path, log).ok and verify_log(aside, log).legacy


def test_rotate_moves_the_head_with_the_log(log: AuditLog) -> None:
    aside = log.rotate()
    assert not log.path.exists() and aside.name.startswith("audit.") and aside.suffix == ".jsonl"
    assert verify_log(aside, log).ok and verify_log(aside, log).entries == 5
    log.append(record(0))
    assert check(log)[0] and entries(log)[0]["seq"] == 1
    missing = AuditLog(log.path.with_name("none.jsonl"), heads=log.heads)
    with pytest.raises(Exception, match="no audit log"):
        missing.rotate()


def test_the_audit_key_comes_from_its_variable_or_the_vault_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from hybridgraph.errors import ConfigError
    from hybridgraph.telemetry.audit_key import audit_key

    monkeypatch.setenv("HYBRIDGRAPH_AUDIT_KEY", "x" * 40)
    assert audit_key() == b"x" * 40
    monkeypatch.setenv("HYBRIDGRAPH_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="shorter than 32"):
        audit_key()
    monkeypatch.delenv("HYBRIDGRAPH_AUDIT_KEY")
    vault_key = Fernet.generate_key()
    monkeypatch.setenv("HYBRIDGRAPH_VAULT_KEY", vault_key.decode())
    derived = audit_key()
    assert len(derived) == 32 and derived not in vault_key
    monkeypatch.setenv("HYBRIDGRAPH_VAULT_KEY", Fernet.generate_key().decode())
    assert audit_key() != derived


def test_the_data_key_is_made_once_when_first_uses_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hybridgraph.tools.pii.vault_store import data_key

    monkeypatch.delenv("HYBRIDGRAPH_VAULT_KEY", raising=False)
    for attempt in range(5):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(lambda _: data_key(folder), range(16)))  # noqa: B023
        assert len(keys) == 1 and [p.name for p in folder.iterdir()] == ["key"]


def test_the_cli_names_legacy_logs_a_missing_head_and_its_fix_and_rotates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hybridgraph.cli.main import app

    monkeypatch.setenv("HYBRIDGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "400")
    path = tmp_path / "audit.jsonl"
    legacy_log(path, 2)
    legacy = CliRunner().invoke(app, ["audit", "verify", str(path)])
    assert legacy.exit_code == 1 and legacy.output.startswith("legacy:")
    assert "2 entries in the old unkeyed format" in legacy.output
    rotated = CliRunner().invoke(app, ["audit", "rotate", str(path)])
    assert rotated.exit_code == 0 and "set aside as" in rotated.output and not path.exists()
    AuditLog(path).append(record(1))
    assert CliRunner().invoke(app, ["audit", "verify", str(path)]).output.startswith("ok:")
    AuditLog(path).heads.path(path).unlink()
    missing = CliRunner().invoke(app, ["audit", "verify", str(path)])
    assert missing.exit_code == 1 and "1 entries but no head" in missing.output
    assert "Fix:" in missing.output and "hybridgraph audit rotate" in missing.output
