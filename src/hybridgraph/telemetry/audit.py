"""The audit log: one MAC-chained JSON line per model interaction.

An entry records who was asked what, by reference only: the endpoint, the model's identity,
the zone, the routing rule, the SHA-256 of the exact payload (never the payload), token counts,
cost, the placeholders the payload carried per entity type, and the egress verdict. Each entry
holds the MAC of the one before it and its own HMAC-SHA256 under the audit key (``audit_key``:
never kept beside the log), so rewriting the chain needs the key. The head (the last entry's
number and MAC, sealed) is kept outside the log's folder (``audit_head``), so cutting the tail, or
deleting the head with it, is found. ``audit_verify.verify_log`` checks a whole log.

A non-local call gets an ``intent`` entry before it is made and an ``outcome`` entry naming that
intent after it (``AuditedModel``); a local call gets one ``call`` entry after it. An append that
cannot chain (a damaged or unkeyed last line, a head that does not match, a disk error) raises
``AuditError`` and writes nothing, so no non-local call goes out unaudited.

Appends are atomic across threads and processes: one ``write`` of a whole line on a file opened
for appending, under an exclusive ``flock``, so concurrent runs never interleave partial lines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import hmac
import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hybridgraph.errors import AuditError, InputError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_dir
from hybridgraph.telemetry.audit_head import ROTATE, Head, HeadStore, end_fix, end_problem
from hybridgraph.telemetry.audit_key import DuplicateKeyError, audit_key, key_id, sign, strict_json

__all__ = ["AUDIT_ENV", "GENESIS", "AuditEntry", "AuditLog", "AuditRecord", "LineError", "read_entry"]

AUDIT_ENV = "HYBRIDGRAPH_AUDIT_LOG"
GENESIS = "0" * 64
#: Bytes read at a time from the end of the log to find its last entry.
_TAIL_BLOCK = 4096


class AuditRecord(BaseModel):
    """What the caller knows of one model interaction (the log adds number, time and MACs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field("call", description="call (one entry, after a local call), intent or outcome")
    intent: int = Field(0, description="an outcome's intent entry (its seq)")
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
    egress: str = Field(description="local, passed, blocked or unguarded (pending in an intent)")
    egress_blocked: dict[str, int] = Field(default_factory=dict)
    outcome: str = "ok"


class AuditEntry(AuditRecord):
    """An entry as stored: ``mac`` is the HMAC-SHA256 of every other field (``prev`` included)."""

    seq: int
    time: str
    prev: str
    key_id: str
    mac: str = ""

    def signed(self, key: bytes) -> AuditEntry:
        """This entry with its MAC under ``key``."""
        return self.model_copy(update={"mac": sign(key, self.model_dump(exclude={"mac"}))})

    def verify(self, key: bytes) -> bool:
        """True when ``mac`` is this entry's MAC under ``key``."""
        return hmac.compare_digest(self.mac, sign(key, self.model_dump(exclude={"mac"})))


class LineError(ValueError):
    """A log line that is no keyed entry; ``legacy`` when it is an entry of the old unkeyed format."""

    def __init__(self, reason: str, legacy: bool = False) -> None:
        self.reason, self.legacy = reason, legacy
        super().__init__(reason)


def read_entry(raw: bytes) -> AuditEntry:
    """Parse one line strictly (a repeated key is an error); ``LineError`` says what is wrong."""
    try:
        data = strict_json(raw)
    except DuplicateKeyError as exc:
        raise LineError(f"has the key '{exc.key}' twice: one of them was added") from None
    except ValueError:
        raise LineError("is not a complete audit entry") from None
    if isinstance(data, dict) and "hash" in data and "mac" not in data:
        raise LineError("is in the old unkeyed format (plain SHA-256, no key)", legacy=True)
    try:
        return AuditEntry.model_validate(data)
    except ValidationError:
        raise LineError("is not a complete audit entry") from None


class AuditLog:
    """An append-only JSONL audit log at ``path`` (``fsync=True`` also survives power loss).

    ``key`` defaults to ``audit_key()`` and ``heads`` to ``HeadStore()``, both resolved on first use."""

    def __init__(
        self, path: Path, *, fsync: bool = False, key: bytes | None = None, heads: HeadStore | None = None
    ) -> None:
        self.path, self.fsync = path, fsync
        self.heads = heads or HeadStore()
        self._key = key

    @classmethod
    def default(cls) -> AuditLog:
        """``HYBRIDGRAPH_AUDIT_LOG``, else ``<HYBRIDGRAPH_HOME>/audit/audit.jsonl``."""
        configured = os.environ.get(AUDIT_ENV)
        return cls(Path(configured).expanduser() if configured else DataHome.from_env().audit / "audit.jsonl")

    @property
    def key(self) -> bytes:
        """The MAC key (see ``audit_key``)."""
        if self._key is None:
            self._key = audit_key()
        return self._key

    def append(self, record: AuditRecord) -> AuditEntry:
        """Chain ``record`` to the last entry and append it as one line; ``AuditError`` (nothing
        written) when the log's end cannot be trusted or the disk refuses."""
        key = self.key
        with self._locked() as fd:
            last = self._checked_end(fd, key)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            fields = record.model_dump()
            entry = AuditEntry(**fields, seq=last.seq + 1, time=now, prev=last.mac, key_id=key_id(key)).signed(key)
            try:
                os.write(fd, (entry.model_dump_json() + "\n").encode())
                if self.fsync:
                    os.fsync(fd)
                self.heads.write(self.path, Head(entry.seq, entry.mac), key)
            except OSError as exc:
                raise AuditError(
                    f"cannot write to the audit log {self.path} ({exc.strerror})",
                    fix="free disk space or fix the permissions, then run `hybridgraph audit verify`",
                ) from None
        return entry

    async def aappend(self, record: AuditRecord) -> AuditEntry:
        """``append`` in a worker thread: it locks, reads and writes a file, and maybe fsyncs,
        which must not hold up the event loop (other runs, a server's health checks)."""
        return await asyncio.to_thread(self.append, record)

    def rotate(self) -> Path:
        """Set the log aside, with its head (and a legacy ``.head`` beside it), as
        ``<stem>.<UTC time><suffix>`` so that a new log starts at ``path``; returns the new name.
        ``InputError`` when there is neither log nor head."""
        if not self.path.exists() and not self.heads.path(self.path).exists():
            raise InputError(f"there is no audit log at {self.path}", fix=f"pass the log's path, or set {AUDIT_ENV}")
        with self._locked():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            aside = self.path.with_name(f"{self.path.stem}.{stamp}{self.path.suffix}")
            self.path.rename(aside)
            self.heads.move(self.path, aside)
            legacy_head = self.path.with_name(self.path.name + ".head")  # beside a log of the old format
            if legacy_head.exists():
                legacy_head.rename(aside.with_name(aside.name + ".head"))
        return aside

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
        """An fd of the log under an exclusive lock, reopened if the log was renamed meanwhile."""
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _is_file_at(fd, self.path):
                    yield fd
                    return
            finally:
                os.close(fd)  # closing releases the lock

    def _open(self) -> int:
        """The log opened for appending (created 0600; a missing folder is made 0700 with its parents)."""
        try:
            if not self.path.parent.exists():
                private_dir(self.path.parent)
            return os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(
                f"cannot open the audit log {self.path} ({exc.strerror})",
                fix=f"point {AUDIT_ENV} at a writable file, or fix the folder's permissions",
            ) from None

    def _checked_end(self, fd: int, key: bytes) -> Head:
        """The last entry's number and MAC, once it and the head agree; else ``AuditError``."""
        raw = next(_lines_backwards(fd, block=_TAIL_BLOCK), None)  # an entry is about 700 bytes
        last, prev = Head(0, GENESIS), GENESIS
        if raw is not None:
            try:
                entry = read_entry(raw)
            except LineError as exc:
                raise AuditError(
                    f"the last line of the audit log {self.path} {exc.reason}; new entries cannot be chained to it",
                    fix=f"run `hybridgraph audit verify {self.path}`, then `{ROTATE}` to set it aside "
                    "and start a new log",
                ) from None
            if not entry.verify(key):
                raise AuditError(
                    f"the last entry of the audit log {self.path} does not carry this key's MAC: "
                    "it was edited, or written under another audit key",
                    fix=f"run `hybridgraph audit verify {self.path}` with the key it was written under",
                )
            last, prev = Head(entry.seq, entry.mac), entry.prev
        problem = end_problem(self.heads.read(self.path, key), last, prev)
        if problem:
            raise AuditError(f"the audit log {self.path}: {problem}", fix=end_fix(self.path, self.heads))
        return last


def _is_file_at(fd: int, path: Path) -> bool:
    """True when the open ``fd`` is still the file at ``path`` (not renamed away)."""
    try:
        here, there = os.fstat(fd), path.stat()
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


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
