"""A detector in a child process: ``python -m hybridgraph.tools.pii.worker CONFIG_JSON``.

The child is a plain interpreter started with ``subprocess``, not ``multiprocessing``: spawn and
forkserver re-import the parent's ``__main__``, which re-runs any user script without an
``if __name__ == "__main__"`` guard, and fork copies whatever threads the parent holds.

Protocol, one JSON document per line: the child writes ``"ready"`` once spaCy is loaded, then
answers each ``{"text": ...}`` on stdin with ``[[start, end, entity_type, score], ...]`` (the
``PiiDetector.raw_findings`` of that text). Its stderr is discarded: a traceback could quote the text.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading

from hybridgraph.tools.pii.detector import DetectorConfig, PiiDetector
from hybridgraph.tools.pii.findings import Finding

__all__ = ["WorkerDied", "WorkerProcess"]

_READY = "ready"


class WorkerDied(RuntimeError):
    """The child process exited or answered out of protocol."""


class WorkerProcess:
    """One child process with its own ``PiiDetector``: ``send`` a text, then ``receive`` its findings.

    The child reads each request whole as soon as it arrives, so ``send`` never waits on its work.
    """

    def __init__(self, config: DetectorConfig) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, config.model_dump_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # One thread each: the workers and this process already use all the CPUs between them.
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
            text=True,
            encoding="utf-8",
        )
        self._loaded = threading.Event()
        self.failed = False
        # A daemon thread: a child still loading must not hold up the parent's exit.
        threading.Thread(target=self._await_ready, name="pii-worker-start", daemon=True).start()

    @property
    def ready(self) -> bool:
        """True once the child has loaded spaCy and waits for texts."""
        return self._loaded.is_set() and not self.failed

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the child is ready or has failed; True if ready."""
        self._loaded.wait(timeout)
        return self.ready

    def send(self, text: str) -> None:
        """Give the child ``text`` to analyse."""
        stdin = self._process.stdin
        try:
            if stdin is None:
                raise ValueError("no pipe")
            stdin.write(json.dumps({"text": text}) + "\n")
            stdin.flush()
        except (OSError, ValueError) as exc:  # BrokenPipeError; ValueError: the pipe was closed
            raise WorkerDied("the PII worker is gone") from exc

    def receive(self) -> list[Finding]:
        """The child's findings in the text sent before, in the order sent."""
        answer = self._read()
        if not isinstance(answer, list):
            raise WorkerDied("the PII worker answered out of protocol")
        return [Finding(int(s), int(e), str(t), float(score)) for s, e, t, score in answer]

    def close(self) -> None:
        """Stop the child now, whatever it is doing."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # unsent bytes of a dead child's pipe
                    stream.close()

    def _await_ready(self) -> None:
        try:
            self.failed = self._read() != _READY
        except WorkerDied:
            self.failed = True
        self._loaded.set()

    def _read(self) -> object:
        stdout = self._process.stdout
        try:
            line = stdout.readline() if stdout is not None else ""
        except (OSError, ValueError) as exc:
            raise WorkerDied("the PII worker is gone") from exc
        if not line:
            raise WorkerDied(f"the PII worker exited (code {self._process.poll()})")
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkerDied("the PII worker answered out of protocol") from exc


def main(argv: list[str]) -> int:
    """The child's loop: load the detector, say ready, answer texts until stdin closes."""
    detector = PiiDetector(DetectorConfig.model_validate_json(argv[0]))
    detector.engine  # noqa: B018 - load spaCy and Presidio before saying ready
    out = sys.stdout
    out.write(json.dumps(_READY) + "\n")
    out.flush()
    for line in sys.stdin:
        findings = detector.raw_findings(json.loads(line)["text"])
        out.write(json.dumps([[f.start, f.end, f.entity_type, f.score] for f in findings]) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
