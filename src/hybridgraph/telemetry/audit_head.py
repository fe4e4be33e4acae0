"""An audit log's head: its last entry's number and MAC, kept outside the log's folder.

A head beside the log would be deleted together with the tail it vouches for. So heads live in
``<home>/vault/audit-heads/`` (0700), beside the data key that an attacker who could cut the log
must not read either. There is one file per log, named by the SHA-256 of the log's resolved path.
A head is sealed with the audit key, so it cannot be rewritten to fit a cut log. It cannot stop
an old head, saved earlier, from being put back with a log cut to match it (no replay protection).

The log is written before its head, so a process that dies between the two leaves the head one
entry behind. That is accepted only when the last entry is chained to the head's MAC, which
takes the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hybridgraph.errors import AuditError
from hybridgraph.home import DataHome
from hybridgraph.owneronly import private_dir
from hybridgraph.telemetry.audit_key import sign

__all__ = ["ROTATE", "Head", "HeadStore", "end_fix", "end_problem"]

_HEAD_SIZE = 192  # one fixed-size write in place: cheaper than a rename per entry
ROTATE = "hybridgraph audit rotate"


@dataclass(frozen=True)
class Head:
    """The last entry's number and MAC (``seq`` 0 with no MAC for a log with no entries)."""

    seq: int
    mac: str


class HeadStore:
    """The folder of heads (default ``<HYBRIDGRAPH_HOME>/vault/audit-heads``, read when used)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._paths: dict[Path, Path] = {}

    @property
    def folder(self) -> Path:
        """Where the heads are (the default is read from the environment once)."""
        if self._folder is None:
            self._folder = DataHome.from_env().vault / "audit-heads"
        return self._folder

    def path(self, log: Path) -> Path:
        """The head file of ``log`` (remembered: an append asks twice)."""
        if log not in self._paths:
            name = hashlib.sha256(str(log.resolve()).encode()).hexdigest()[:32] + ".head"
            self._paths[log] = self.folder / name
        return self._paths[log]

    def read(self, log: Path, key: bytes) -> Head | None:
        """``log``'s head, ``None`` if it has none; ``AuditError`` if it is damaged or not sealed
        with ``key``."""
        path = self.path(log)
        try:
            data = json.loads(path.read_bytes())
            head = Head(int(data["seq"]), str(data["mac"]))
            sealed = hmac.compare_digest(str(data["seal"]), _seal(key, head))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            sealed = False
        if not sealed:
            raise AuditError(
                f"the head of the audit log {log} ({path}) is damaged, forged, or sealed with another key",
                fix=f"verify with the key the log was written under; to start a new log, run `{ROTATE}`",
            )
        return head

    def write(self, log: Path, head: Head, key: bytes) -> None:
        """Record ``head`` for ``log`` (under the log's lock)."""
        record = json.dumps({"seq": head.seq, "mac": head.mac, "seal": _seal(key, head)}).encode()
        try:
            fd = os.open(self.path(log), os.O_WRONLY | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the first head: make the folder
            private_dir(self.folder)
            fd = os.open(self.path(log), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, record.ljust(_HEAD_SIZE), 0)
        finally:
            os.close(fd)

    def move(self, log: Path, to: Path) -> None:
        """Make ``log``'s head the head of ``to`` (the log was renamed); nothing if it has none."""
        with contextlib.suppress(FileNotFoundError):
            self.path(log).rename(self.path(to))


def _seal(key: bytes, head: Head) -> str:
    return sign(key, {"audit-head": head.seq, "mac": head.mac})


def end_problem(head: Head | None, last: Head, prev: str) -> str:
    """What is wrong with a log whose last entry is ``last`` (chained to ``prev``) given its
    ``head``; empty when they agree (or the head lags by that one entry)."""
    if head is None:
        if last.seq == 0:
            return ""
        return (
            f"the log has {last.seq} entries but no head: the head was deleted, or the log was written "
            "under another data home"
        )
    if head == last or (head.seq == last.seq - 1 and head.mac == prev):
        return ""
    if head.seq > last.seq:
        return f"the log ends at entry {last.seq}, but its head records entry {head.seq}: entries were cut off the end"
    return f"the log ends at entry {last.seq}, which is not the entry its head records: the log was replaced"


def end_fix(log: Path, store: HeadStore) -> str:
    """What to do about a log and head that disagree."""
    return (
        f"restore the log from a copy, or verify it with the HYBRIDGRAPH_HOME it was written under "
        f"(its head would be {store.path(log)}); if the log is legitimately new here, run `{ROTATE}` "
        "to set it aside and start a new one"
    )
