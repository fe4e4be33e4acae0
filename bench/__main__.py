"""Run the benchmark suite and print one ratio table: ``python -m bench [--quick] [--json FILE]``."""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from bench import batch, cascade, coldstart, concurrency, policy, retrieval_eval, tracing
from bench.common import Result, print_table, write_json

R = TypeVar("R")

#: The table's row order: the issue's P rows first, then the other measures.
ORDER = ["P1", "P2", "P3", "P4", "P5", "R1", "R2", "T1", "R3", "R4", "B1"]


def isolated(measure: Callable[[bool], R], quick: bool) -> R:
    """Run one measure in a fresh interpreter, so that threads and memory a measure leaves behind
    (llama.cpp's OpenMP team, loaded models) cannot slow the next one."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, quick).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced run (under 5 minutes)")
    parser.add_argument("--json", type=Path, help="also write results as JSON")
    ns = parser.parse_args()
    results: list[Result] = []
    if importlib.util.find_spec("llama_cpp") is not None:
        from bench import tokens

        results.append(isolated(tokens.run, ns.quick))
    else:
        print("skipping P4 (tokens/s): needs the embedded extra: pip install -e '.[embedded]'", file=sys.stderr)
    from bench import redaction

    p2 = isolated(redaction.run, ns.quick)
    if p2 is not None:
        results.append(p2)
    results.append(isolated(coldstart.run, ns.quick))
    results.append(isolated(tracing.run, ns.quick))
    results.append(isolated(policy.run, ns.quick))
    results += isolated(cascade.both, ns.quick)
    results.append(isolated(concurrency.run, ns.quick))
    results += isolated(retrieval_eval.suite, ns.quick)
    b1 = isolated(batch.run, ns.quick)
    if b1 is not None:
        results.append(b1)
    print_table(sorted(results, key=lambda r: ORDER.index(r.key) if r.key in ORDER else len(ORDER)))
    if ns.json:
        write_json(results, ns.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
