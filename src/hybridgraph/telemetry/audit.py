"""The audit log: one hash-chained JSON line per model interaction, and its verification.

An entry records who was asked what, by reference only: the endpoint, the model's identity,
the zone, the routing rule, the SHA-256 of the exact payload (never the payload), token counts,
cost, the placeholders the payload carried per entity type, and the egress verdict. Each entry
holds the hash of the one before it and its own hash, so ``verify_log`` finds any edit,
deletion, insertion or reordering and names the first bad entry. A ``.head`` file beside the log
holds the last entry's number and hash, so cutting entries off the end is found too.

Appends are atomic across threads and processes: one ``write`` of a whole line on a file opened
for appending, under an exclusive ``flock``, so concurrent runs never interleave partial lines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.home import DataHome

__all__ = ["AUDIT_ENV", "GENESIS", "AuditEntry", "AuditLog", "AuditRecord", "Verification", "verify_log"]

AUDIT_ENV = "HYBRIDGRAPH_AUDIT_LOG"
GENESIS = "0" * 64
_HEAD_SIZE = 128
#: Bytes read at a time from the end of the log to find its last entry.
_TAIL_BLOCK = 4096


class AuditRecord(BaseModel):
    """What the caller knows of one model interaction (the log adds number, time and hashes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str = ""
    step: str = ""
    endpoint: str
    model_id: str = Field(description="Ollama digest, GGUF SHA-256, or the provider's model id")
    zone: str
    rule: str = ""
    payload_sha256: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    redactions: dict[str, int] = Field(default_factory=dict, description="placeholders in the payload, per type")
    egress: str = Field(description="local, passed, blocked or unguarded")
    egress_blocked: dict[str, int] = Field(default_factory=dict)
    outcome: str = "ok"


class AuditEntry(AuditRecord):
    """An entry as stored."""

    seq: int
    time: str
    prev: str
    hash: str = ""

    def digest(self) -> str:
        """The SHA-256 of the entry without its ``hash`` field (canonical JSON)."""
        body = self.model_dump(exclude={"hash"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class AuditLog:
    """An append-only JSONL audit log at ``path`` (``fsync=True`` also survives power loss)."""

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self.path, self.fsync = path, fsync
        self.head_path = path.with_name(path.name + ".head")

    @classmethod
    def default(cls) -> AuditLog:
        """``HYBRIDGRAPH_AUDIT_LOG``, else ``<HYBRIDGRAPH_HOME>/audit/audit.jsonl``."""
        configured = os.environ.get(AUDIT_ENV)
        return cls(Path(configured).expanduser() if configured else DataHome.from_env().audit / "audit.jsonl")

    def append(self, record: AuditRecord) -> AuditEntry:
        """Chain ``record`` to the last entry and append it as one line."""
        with self._locked() as fd:
            seq, prev = self._tail(fd)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            entry = AuditEntry(**record.model_dump(), seq=seq + 1, time=now, prev=prev)
            entry = entry.model_copy(update={"hash": entry.digest()})
            os.write(fd, (entry.model_dump_json() + "\n").encode())
            if self.fsync:
                os.fsync(fd)
            self._write_head(entry)
        return entry

    async def aappend(self, record: AuditRecord) -> AuditEntry:
        """``append`` in a worker thread: it locks, reads and writes a file, and maybe fsyncs,
        which must not hold up the event loop (other runs, a server's health checks)."""
        return await asyncio.to_thread(self.append, record)

    def spent_since(self, since: dt.datetime) -> tuple[float, int]:
        """USD and tokens of the entries logged at or after ``since``.

        The policy asks before every model step when a day budget is set, so the sum is kept per
        log and ``since``: the first call reads back from the end to ``since``, later calls only
        the lines appended since (by any process). A log that got shorter is read afresh."""
        stamp = since.astimezone(dt.UTC).isoformat(timespec="microseconds")
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return 0.0, 0
        try:
            with _TALLY_LOCK:
                stat = os.fstat(fd)
                key, size = (str(self.path.resolve()), stat.st_ino, stamp), stat.st_size  # a new file: afresh
                tally = _TALLIES.get(key)
                if tally is None or size < tally.end:
                    end = _complete_end(fd, size)
                    tally = _Tally(end).add(_lines_backwards(fd, end=end), stamp, stop_early=True)
                else:
                    data = os.pread(fd, size - tally.end, tally.end)
                    complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
                    tally = _Tally(tally.end + len(complete), tally.usd, tally.tokens).add(complete.split(b"\n"), stamp)
                for old in [k for k in _TALLIES if k[0] == key[0]]:
                    del _TALLIES[old]  # one day per log is kept
                _TALLIES[key] = tally
                return tally.usd, tally.tokens
        finally:
            os.close(fd)

    @contextmanager
    def _locked(self) -> Iterator[int]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the audit log {self.path} ({exc.strerror})",
                fix=f"point {AUDIT_ENV} at a writable file, or fix the folder's permissions",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def _tail(self, fd: int) -> tuple[int, str]:
        """The last entry's number and hash (0 and the genesis hash for an empty log)."""
        last = next(_lines_backwards(fd, block=_TAIL_BLOCK), None)  # an entry is about 600 bytes
        if last is None:
            return 0, GENESIS
        try:
            entry = json.loads(last)
            return int(entry["seq"]), str(entry["hash"])
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f"the last line of the audit log {self.path} is damaged; new entries cannot be chained to it",
                fix=f"run `hybridgraph audit verify {self.path}`, then move the file aside to start a new log",
            ) from None

    def _write_head(self, entry: AuditEntry) -> None:
        """One fixed-size write in place (cheaper than a rename per entry; done under the lock)."""
        record = json.dumps({"seq": entry.seq, "hash": entry.hash}).encode().ljust(_HEAD_SIZE)
        fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, record, 0)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class _Tally:
    """USD and tokens of a log's entries since a time, counted up to byte ``end``."""

    end: int
    usd: float = 0.0
    tokens: int = 0

    def add(self, lines: Iterable[bytes], stamp: str, stop_early: bool = False) -> _Tally:
        """This tally plus the entries among ``lines`` stamped at or after ``stamp``
        (``stop_early``: the lines run newest first, so the first older one ends the count)."""
        usd, tokens = self.usd, self.tokens
        for line in lines:
            try:
                entry = json.loads(line) if line else None
            except ValueError:
                continue  # a damaged line does not stop accounting; `audit verify` reports it
            if not isinstance(entry, dict):
                continue
            if str(entry.get("time", "")) < stamp:
                if stop_early:
                    break
                continue
            usd += float(entry.get("cost_usd", 0.0))
            tokens += int(entry.get("input_tokens", 0)) + int(entry.get("output_tokens", 0))
        return _Tally(self.end, usd, tokens)


_TALLIES: dict[tuple[str, int, str], _Tally] = {}
_TALLY_LOCK = threading.Lock()


def _complete_end(fd: int, size: int) -> int:
    """The end of the last whole line (through its newline) in the first ``size`` bytes of ``fd``."""
    position = size
    while position > 0:
        start = max(0, position - 4096)
        cut = os.pread(fd, position - start, start).rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        position = start
    return 0


def _lines_backwards(fd: int, block: int = 65536, end: int | None = None) -> Iterator[bytes]:
    """The non-empty lines of the open file ``fd`` (up to byte ``end``), last first, read in
    blocks from the end."""
    position = os.fstat(fd).st_size if end is None else end
    rest = b""
    while position > 0:
        size = min(block, position)
        position -= size
        lines = (os.pread(fd, size, position) + rest).split(b"\n")
        rest = lines.pop(0)
        yield from (line for line in reversed(lines) if line)
    if rest:
        yield rest


@dataclass(frozen=True)
class Verification:
    """The result of checking a log: how many entries were good, and the first problem."""

    entries: int
    problem: str = ""
    line: int | None = None

    @property
    def ok(self) -> bool:
        """True when the whole log checks out."""
        return not self.problem


def verify_log(path: Path) -> Verification:
    """Check every entry's hash, the chain and the numbering, and the log's end against its head."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise InputError(
            f"cannot read the audit log {path} ({exc.strerror})", fix="pass the path of an audit log"
        ) from None
    if lines and lines[-1] == b"":
        lines.pop()
    prev, seq = GENESIS, 0
    for number, raw in enumerate(lines, start=1):
        problem = _check_line(raw, prev, seq + 1)
        if problem:
            return Verification(number - 1, f"entry {seq + 1} (line {number}) {problem}", number)
        entry = json.loads(raw)
        prev, seq = entry["hash"], entry["seq"]
    return Verification(len(lines), _check_head(path, seq, prev), None)


def _check_line(raw: bytes, prev: str, seq: int) -> str:
    try:
        entry = AuditEntry.model_validate_json(raw)
    except ValidationError:
        return "is not a complete audit entry"
    if entry.digest() != entry.hash:
        return "was edited: its hash does not match its content"
    if entry.prev != prev:
        return "does not follow the entry before it: an entry was deleted, inserted or moved here"
    if entry.seq != seq:
        return f"is numbered {entry.seq}: entries were deleted, inserted or moved"
    return ""


def _check_head(path: Path, seq: int, last_hash: str) -> str:
    head_path = path.with_name(path.name + ".head")
    try:
        head: dict[str, Any] = json.loads(head_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""  # a log copied without its head: only the chain can be checked
    except (OSError, ValueError):
        return f"the head file {head_path.name} is damaged"
    if head.get("seq") != seq or head.get("hash") != last_hash:
        recorded = head.get("seq")
        return f"the log ends at entry {seq}, but its head file records entry {recorded}: entries were cut off the end"
    return ""
