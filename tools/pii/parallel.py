"""``ParallelDetector``: a long text is cut in pieces that are analysed at the same time, one per CPU.

spaCy's NER is most of the detector's time (about 0.5 s of 0.7 s for a 25 kB contract) and runs on
one core. The wrapper keeps worker processes, each with its own spaCy and Presidio. A long text is
cut at line breaks into a few pieces per process; each worker's feeder thread takes pieces from
the front of a queue while this process takes them from the back, so a slower side takes fewer.
Findings are put back at text offsets and merged as ``PiiDetector.detect`` merges its chunks
(names found in any piece are then redacted at every mention in the whole text).

- Workers start in the background on the first long text (about 3 s to load spaCy). Until one is
  ready, texts are analysed here, so nothing ever waits on a start-up.
- Short texts (below ``min_chars``) are analysed here: sending them costs more than it saves.
- A worker that dies is reported as a warning; its piece is analysed here and new workers start
  for the next text. Nothing is lost.
- ``HYBRIDGRAPH_PII_WORKERS`` sets the number of worker processes (0 turns them off); the default
  is one less than the CPUs this process may use, at most 3.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable

from hybridgraph.errors import ConfigError
from hybridgraph.tools.pii.detector import CHUNK_OVERLAP, DetectorConfig, PiiDetector, merged
from hybridgraph.tools.pii.findings import Finding
from hybridgraph.tools.pii.normalize import canonical
from hybridgraph.tools.pii.worker import WorkerDied, WorkerProcess

__all__ = ["MIN_CHARS", "WORKERS_ENV", "ParallelDetector", "default_workers", "split"]

WORKERS_ENV = "HYBRIDGRAPH_PII_WORKERS"
#: Texts shorter than this are analysed in this process.
MIN_CHARS = 12_000
#: A long text is cut in up to this many pieces per process (for balance), of at least ``MIN_PIECE_CHARS``.
PIECES_PER_PROCESS = 2
MIN_PIECE_CHARS = 3_000
_MAX_DEFAULT_WORKERS = 3
_log = logging.getLogger(__name__)


def default_workers() -> int:
    """Worker processes to use: ``HYBRIDGRAPH_PII_WORKERS``, else one less than the usable CPUs (at most 3)."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        if not configured.isdigit():
            raise ConfigError(
                f"{WORKERS_ENV}={configured!r} is not a number of processes",
                fix=f"set {WORKERS_ENV} to 0 (no workers) or a positive whole number",
            )
        return int(configured)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(usable - 1, _MAX_DEFAULT_WORKERS))


class ParallelDetector:
    """Wraps a ``PiiDetector``; long texts are analysed in pieces by it and by ``workers`` processes."""

    def __init__(self, detector: PiiDetector | None = None, workers: int | None = None, min_chars: int = MIN_CHARS):
        self.detector = detector or PiiDetector()
        self.workers = default_workers() if workers is None else workers
        self.min_chars = min_chars
        self._pool: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._busy = threading.Lock()

    @property
    def config(self) -> DetectorConfig:
        return self.detector.config

    def detect(self, text: str, progress: Callable[[int, int], None] | None = None) -> list[Finding]:
        """Non-overlapping findings in ``text``, sorted by position (as ``PiiDetector.detect``)."""
        pool = self._ready_pool() if len(text) >= self.min_chars and text.strip() else []
        # One text at a time uses the workers; a text from another thread meanwhile is analysed here.
        if not pool or not self._busy.acquire(blocking=False):
            return self.detector.detect(text, progress)
        try:
            form = canonical(text)  # as PiiDetector.detect does
            return form.original(self._detect_split(form.text, pool, progress))
        finally:
            self._busy.release()

    def _detect_split(
        self, text: str, pool: list[WorkerProcess], progress: Callable[[int, int], None] | None
    ) -> list[Finding]:
        """Pieces are taken from a shared queue: each worker's thread feeds it from the front while
        this process takes from the back, so a slower side simply takes fewer pieces."""
        parts = max(len(pool) + 1, min((len(pool) + 1) * PIECES_PER_PROCESS, len(text) // MIN_PIECE_CHARS))
        queue = deque(split(text, parts))
        found: list[list[Finding]] = []  # list.append is atomic: the feeders add to it too
        died: list[WorkerProcess] = []

        def feed(worker: WorkerProcess) -> None:
            while True:
                try:
                    offset, piece = queue.popleft()
                except IndexError:
                    return
                try:
                    worker.send(piece)
                    found.append([f.shifted(offset) for f in worker.receive()])
                except WorkerDied:
                    queue.append((offset, piece))  # this process analyses it instead
                    died.append(worker)
                    return

        feeders = [threading.Thread(target=feed, args=(w,), name="pii-feed", daemon=True) for w in pool]
        for feeder in feeders:
            feeder.start()
        done = 0
        while True:
            while queue:
                try:
                    offset, piece = queue.pop()
                except IndexError:
                    break
                found.append([f.shifted(offset) for f in self.detector.raw_findings(piece)])
                done += len(piece)
                if progress is not None:
                    progress(min(done * (len(pool) + 1), len(text)), len(text))
            for feeder in feeders:
                feeder.join()
            if not queue:  # a piece a dying worker handed back is done here
                break
        if died:
            _log.warning("a PII worker process died; its piece was analysed here, and new workers will start")
            self.close()
        if progress is not None:
            progress(len(text), len(text))
        return merged(text, [f for piece in found for f in piece])

    def start(self, wait: bool = False) -> None:
        """Start the worker processes now instead of on the first long text; ``wait`` until they are ready."""
        with self._lock:
            if not self._pool and self.workers:
                self._pool = [WorkerProcess(self.config) for _ in range(self.workers)]
            pool = list(self._pool)
        for worker in pool if wait else []:
            worker.wait()

    def close(self) -> None:
        """Stop the worker processes (they are started again when needed)."""
        with self._lock:
            pool, self._pool = self._pool, []
        for worker in pool:
            worker.close()

    def _ready_pool(self) -> list[WorkerProcess]:
        """The workers that are ready, starting them if need be; none while they load."""
        if not self.workers:
            return []
        self.start()
        with self._lock:
            pool = list(self._pool)
        if any(w.failed for w in pool):
            _log.warning("PII worker processes could not start; analysing here from now on")
            self.close()
            self.workers = 0
            return []
        return [w for w in pool if w.ready]


def split(text: str, parts: int) -> list[tuple[int, str]]:
    """``(offset, piece)``: ``text`` in ``parts`` pieces of about one size, cut at the line break
    nearest each boundary (else a space), each overlapping the one before by up to ``CHUNK_OVERLAP``."""
    window = max(1, len(text) // (4 * parts))
    cuts = [0]
    for k in range(1, parts):
        target = k * len(text) // parts
        before, after = text.rfind("\n", target - window, target), text.find("\n", target, target + window)
        if before < 0 and after < 0:
            before, after = text.rfind(" ", target - window, target), text.find(" ", target, target + window)
        near = [c for c in (before, after) if c > cuts[-1]]
        cuts.append(min(near, key=lambda c: abs(c - target)) if near else target)
    pieces = []
    for start, end in zip(cuts, [*cuts[1:], len(text)], strict=True):
        back = text.find(" ", start - CHUNK_OVERLAP, start) if start else -1
        begin = back + 1 if back >= 0 else start
        pieces.append((begin, text[begin:end]))
    return pieces
