"""Checking an audit log: every entry's MAC, the chain, the numbering, and the end against the head.

``verify_log`` names the first problem: an edited entry, or a chain re-computed without the key
(its MACs do not match); a deleted, inserted or moved entry; a line that is not an entry, or that
repeats a JSON key; a log written under another key; a cut tail, and a head that was deleted.

Logs of the old format (a plain SHA-256 chain and a ``.head`` beside the log) are reported as
*legacy*: their chain is still checked, but without a key it cannot show that it was not
rewritten, so ``ok`` is False. ``hybridgraph audit rotate`` sets such a log aside, and new entries
go to a new, keyed log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hybridgraph.errors import AuditError, InputError
from hybridgraph.telemetry.audit import GENESIS, AuditEntry, AuditLog, LineError, read_entry
from hybridgraph.telemetry.audit_head import ROTATE, Head, end_fix, end_problem
from hybridgraph.telemetry.audit_key import AUDIT_KEY_ENV, key_id, strict_json

__all__ = ["Verification", "verify_log"]


@dataclass(frozen=True)
class Verification:
    """The result of checking a log: how many entries were good, the first problem and its fix.

    ``legacy`` marks a log of the old unkeyed format; it is never ``ok``."""

    entries: int
    problem: str = ""
    line: int | None = None
    fix: str = ""
    legacy: bool = False

    @property
    def ok(self) -> bool:
        """True when the whole log checks out under the key."""
        return not self.problem and not self.legacy


def verify_log(path: Path, log: AuditLog | None = None) -> Verification:
    """Check the log at ``path`` with ``log``'s key and heads (default: ``AuditLog(path)``'s)."""
    log = log or AuditLog(path)
    lines = _lines(path, log)
    try:
        return _verify(path, lines, log)
    except AuditError as exc:  # the head is damaged or sealed with another key
        return Verification(len(lines), exc.message, None, exc.fix or "")


def _lines(path: Path, log: AuditLog) -> list[bytes]:
    """The log's lines; none for a missing log that has a head (it was deleted)."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and log.heads.path(path).exists():
            return []
        raise InputError(
            f"cannot read the audit log {path} ({exc.strerror})", fix="pass the path of an audit log"
        ) from None
    return lines[:-1] if lines[-1] == b"" else lines


def _verify(path: Path, lines: list[bytes], log: AuditLog) -> Verification:
    key, last = log.key, (Head(0, GENESIS), GENESIS)
    for number, raw in enumerate(lines, start=1):
        where = f"entry {last[0].seq + 1} (line {number})"
        try:
            entry = read_entry(raw)
        except LineError as exc:
            if exc.legacy and number == 1:
                return _verify_legacy(lines)
            return Verification(number - 1, f"{where} {exc.reason}", number, f"`{ROTATE}` sets the log aside")
        problem, fix = _check(entry, key, last[0])
        if problem:
            return Verification(number - 1, f"{where} {problem}", number, fix)
        last = (Head(entry.seq, entry.mac), entry.prev)
    problem = end_problem(log.heads.read(path, key), *last)
    return Verification(len(lines), problem, None, end_fix(path, log.heads) if problem else "")


def _check(entry: AuditEntry, key: bytes, before: Head) -> tuple[str, str]:
    """What is wrong with ``entry`` after ``before`` (empty when nothing), and the fix."""
    if entry.key_id != key_id(key):
        return (
            f"was written under another audit key (key id {entry.key_id}; this key's is {key_id(key)})",
            f"verify with the key the log was written under: set {AUDIT_KEY_ENV}, or the vault key "
            "(HYBRIDGRAPH_VAULT_KEY or HYBRIDGRAPH_HOME) it was derived from",
        )
    if not entry.verify(key):
        return "was edited: its MAC does not match its content (or the chain was re-computed without the key)", ""
    if entry.prev != before.mac:
        return "does not follow the entry before it: an entry was deleted, inserted or moved here", ""
    if entry.seq != before.seq + 1:
        return f"is numbered {entry.seq}: entries were deleted, inserted or moved", ""
    return "", ""


def _verify_legacy(lines: list[bytes]) -> Verification:
    """Check an old unkeyed log's SHA-256 chain; the result is ``legacy`` either way."""
    fix = f"keep it as a record of the time before keyed logs; `{ROTATE}` sets it aside and starts a keyed log"
    prev, seq = GENESIS, 0
    for number, raw in enumerate(lines, start=1):
        try:
            entry = strict_json(raw)
            body = {k: v for k, v in entry.items() if k != "hash"}
            digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
            intact = entry["hash"] == digest and entry["prev"] == prev and entry["seq"] == seq + 1
        except (ValueError, KeyError, TypeError, AttributeError):
            intact = False
        if not intact:
            problem = f"legacy entry {seq + 1} (line {number}) is damaged, edited, or out of order"
            return Verification(number - 1, problem, number, fix, legacy=True)
        prev, seq = entry["hash"], seq + 1
    return Verification(len(lines), "", None, fix, legacy=True)
