"""``ParallelDetector``: long texts split between this process and real worker processes."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridgraph.errors import ConfigError
from hybridgraph.tools.pii.detector import PiiDetector
from hybridgraph.tools.pii.parallel import WORKERS_ENV, ParallelDetector, default_workers, split

pytestmark = pytest.mark.integration

CLAUSE = (
    "{n}. The Supplier shall deliver the goods to the warehouse within thirty days of each order, "
    "and any delay shall be reported in writing to the Buyer without undue delay.\n"
)
HEAD = 'This Agreement is made between Nordwind Logistik GmbH ("Supplier") and Harbor Crest Foods, Inc. ("Buyer").\n'
TAIL = "Notices to Oskar Lindgren, oskar.lindgren@nordwind.de, +49 89 7263 4100. Nordwind Logistik GmbH\n"


def long_contract() -> str:
    """About 24 kB: the parties in the preamble, and PII again at the very end."""
    return HEAD + "".join(CLAUSE.format(n=n) for n in range(1, 120)) + TAIL


@pytest.fixture(scope="module")
def parallel() -> Iterator[ParallelDetector]:
    detector = ParallelDetector(PiiDetector(), workers=1, min_chars=5_000)
    detector.start(wait=True)
    yield detector
    detector.close()


def values(text: str, findings: list) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in findings}


def test_split_covers_the_text_in_overlapping_pieces_cut_at_lines() -> None:
    text = long_contract()
    pieces = split(text, 3)
    assert len(pieces) == 3 and pieces[0][0] == 0
    assert pieces[-1][0] + len(pieces[-1][1]) == len(text)
    for (offset, piece), (next_offset, _) in itertools.pairwise(pieces):
        assert next_offset < offset + len(piece)  # overlap, so no entity falls between pieces
        assert text[offset + len(piece)] == "\n"
    sizes = [len(p) for _, p in pieces]
    assert max(sizes) < 1.3 * min(sizes)


def test_long_text_is_shared_with_a_worker_and_gives_the_same_findings(
    parallel: ParallelDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = long_contract()
    here: list[int] = []
    original = parallel.detector.raw_findings
    monkeypatch.setattr(
        parallel.detector, "raw_findings", lambda t, progress=None: here.append(len(t)) or original(t, progress)
    )
    progress: list[int] = []
    found = parallel.detect(text, progress=lambda done, total: progress.append(done))
    assert here and sum(here) < 0.7 * len(text)  # the rest went to the worker
    assert progress[-1] == len(text)
    got = values(text, found)
    assert ("PERSON", "Oskar Lindgren") in got and ("EMAIL_ADDRESS", "oskar.lindgren@nordwind.de") in got
    # A party named in the preamble (this process's piece) is redacted in the worker's piece too.
    last = text.rindex("Nordwind Logistik GmbH")
    assert any(f.start <= last and f.end >= last + len("Nordwind Logistik GmbH") for f in found)
    monkeypatch.undo()
    assert got == values(text, PiiDetector().detect(text))


def test_short_texts_stay_in_this_process(parallel: ParallelDetector, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(parallel._pool[0], "send", lambda text: calls.append(len(text)))
    assert values(HEAD, parallel.detect(HEAD)) >= {("ORGANIZATION", "Nordwind Logistik GmbH")}
    assert calls == []


def test_a_dead_worker_loses_nothing_and_is_replaced(
    parallel: ParallelDetector, caplog: pytest.LogCaptureFixture
) -> None:
    text = long_contract()
    expected = values(text, parallel.detect(text))
    parallel._pool[0]._process.kill()
    parallel._pool[0]._process.wait()
    with caplog.at_level(logging.WARNING):
        assert values(text, parallel.detect(text)) == expected
    assert "worker process died" in caplog.text
    assert "Lindgren" not in caplog.text
    parallel.start(wait=True)  # a new worker for the next text
    assert parallel._pool and parallel._pool[0].ready


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """Workers are plain interpreters, so the user's script is not re-run in them (as spawn would)."""
    script = tmp_path / "script.py"
    script.write_text(
        "from hybridgraph.tools.pii.parallel import ParallelDetector\n"
        "import tests_marker\n"
        "d = ParallelDetector(workers=1, min_chars=10)\n"
        "d.start(wait=True)\n"
        "print(len(d.detect('Oskar Lindgren met Maria Gonzalez in Berlin. ' * 5)))\n"
        "d.close()\n"
    )
    (tmp_path / "tests_marker.py").write_text("print('imported')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("imported") == 1
    assert int(done.stdout.split()[-1]) >= 10


def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert default_workers() == 0
    assert ParallelDetector(PiiDetector()).workers == 0
    monkeypatch.setenv(WORKERS_ENV, "two")
    with pytest.raises(ConfigError, match=WORKERS_ENV):
        default_workers()
    monkeypatch.delenv(WORKERS_ENV)
    assert 0 <= default_workers() <= 3
