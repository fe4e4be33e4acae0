"""Run the benchmark suite and print one ratio table: ``python -m bench [--quick] [--json FILE]``."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from bench import coldstart
from bench.common import Result, print_table, write_json


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced run (about a minute)")
    parser.add_argument("--json", type=Path, help="also write results as JSON")
    ns = parser.parse_args()
    results: list[Result] = []
    if importlib.util.find_spec("llama_cpp") is not None:
        from bench import tokens

        results.append(tokens.run(ns.quick))
    else:
        print("skipping P4 (tokens/s): needs the embedded extra: pip install -e '.[embedded]'", file=sys.stderr)
    from bench import redaction

    p2 = redaction.run(ns.quick)
    if p2 is not None:
        results.append(p2)
    results.append(coldstart.run(ns.quick))
    print_table(results)
    if ns.json:
        write_json(results, ns.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
