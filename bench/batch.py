"""B1: memory of a long batch: ``hybridgraph run contract-review`` over 100 CUAD contracts.

The batch is the CLI's own (``cli.pipelines._batch``: ``--concurrency 2``, progress, reports
written per document) with the real redactor (Presidio) and clause finder, and a local
``FunctionModel`` judge that answers at once (so the run measures the framework, not a model).
The process's resident memory (RSS) is read after every document. The baseline is the RSS
half-way through (models loaded, caches and the allocator warm: RSS rises over the first 20 or
so contracts); the value is the RSS at the end. A batch that keeps something per document grows
with every one, in the second half as in the first; a steady one stays flat.

Run: ``python -m bench.batch [--quick] [--contracts N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Result
from bench.pii_eval import DEFAULT_DATA

GOAL = 1.10  # at most 10% above the warm RSS


def rss_mib() -> float:
    """This process's resident memory now, in MiB (Linux ``/proc``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def contracts(data: Path, count: int) -> list[Path]:
    """The first ``count`` CUAD contracts by name."""
    folder = data / "cuad" / "full_contract_txt"
    return sorted(folder.glob("*.txt"))[:count] if folder.is_dir() else []


def measure(paths: list[Path], concurrency: int, warm: int) -> dict[str, Any]:
    from hybridgraph.cli.pipelines import _batch
    from hybridgraph.testing import CountedRuns, fake_pipeline

    reply = json.dumps({"status": "compliant", "rule": "", "explanation": "within the policy"})
    rss: list[float] = []
    pipeline = CountedRuns(fake_pipeline("contract-review", lambda request: reply), lambda: rss.append(rss_mib()))
    with tempfile.TemporaryDirectory(prefix="hybridgraph-batch-") as out:
        started = time.perf_counter()
        rows = asyncio.run(_batch(pipeline, paths, Path(out), concurrency, quiet=True))
        seconds = time.perf_counter() - started
    return {
        "documents": len(rows),
        "failed": sum(1 for r in rows if r.get("error")),
        "seconds_per_doc": seconds / len(rows),
        "peak_in_flight": pipeline.peak,
        "warm_mib": rss[min(warm, len(rss)) - 1],
        "end_mib": rss[-1],
        "max_mib": max(rss),
        "rss": rss,
    }


def run(quick: bool, count: int | None = None, data: Path = DEFAULT_DATA) -> Result | None:
    paths = contracts(data, count or (20 if quick else 100))
    if not paths:
        print(f"skipping B1 (batch memory): no CUAD contracts at {data / 'cuad'}", file=sys.stderr)
        return None
    warm = max(1, len(paths) // 2)
    m = measure(paths, concurrency=2, warm=warm)
    marks = [len(m["rss"]) * q // 4 for q in (1, 2, 3, 4)]
    trail = ", ".join(f"{i} docs {m['rss'][i - 1]:.0f}" for i in [max(1, len(m["rss"]) // 10), *marks])
    print(
        f"B1: {m['documents']} contracts ({m['failed']} failed), {m['seconds_per_doc']:.2f} s/doc, "
        f"at most {m['peak_in_flight']} at once; RSS MiB: {trail}; max {m['max_mib']:.0f}"
    )
    ratio = m["end_mib"] / m["warm_mib"]
    return Result(
        key="B1",
        measure=f"RSS after a {m['documents']}-contract contract-review batch (instant judge), --concurrency 2",
        unit="MiB",
        value=m["end_mib"],
        baseline=m["warm_mib"],
        baseline_name=f"RSS after {warm} contracts (half-way)",
        goal=f"<= {GOAL:.2f}x",
        holds=ratio <= GOAL and m["failed"] == 0,
        extra={"max_mib": m["max_mib"], "seconds_per_doc": m["seconds_per_doc"]},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 contracts")
    parser.add_argument("--contracts", type=int, default=None, help="how many (default 100)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ns = parser.parse_args()
    run(ns.quick, ns.contracts, ns.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
