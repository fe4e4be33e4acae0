"""Contract review on CUAD: precision and recall of `contract-review` findings per category.

A finding is a category the pipeline reports as present, with its quote; it is right when the
quote overlaps a clause CUAD's lawyers labelled for that category in that contract. Recall is
the share of labelled (contract, category) pairs that a right finding covers. Both are given
per category, as their mean over the ten categories (macro) and over all pairs (micro).

1. **Finder** (every contract, seconds per contract): the shipped ``clause-finder`` step with
   its threshold, against the baseline measured in the same run, the same ranking with no
   threshold (the best-matching piece always reported).
2. **Pipeline** (``--runs K`` contracts, minutes each on 2 cores): the whole ``contract-review``
   pipeline, local-only (the embedded model, no cloud) and hybrid (the "cloud" is LiteLLM over
   HTTP to ``llama_cpp.server`` on loopback, as in the tests), with the share of model steps
   kept local and the tokens per zone. Findings come from the finder in both, so precision and
   recall are the same; routing and tokens are what differ.

Run: ``python -m bench.cuad_eval [--data ../shared/data] [--contracts N] [--runs K]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Result, print_table
from bench.pii_eval import DEFAULT_DATA
from bench.retrieval_eval import Case, load_cases

Found = dict[str, tuple[int, int] | None]  # category -> the finding's span, or None


def finder_findings(case: Case, min_score: float | None = None) -> Found:
    """The shipped finder's findings on one contract (``min_score`` overrides its threshold)."""
    from hybridgraph.agents.clauses import ClauseFinder, FinderConfig

    config = FinderConfig() if min_score is None else FinderConfig(min_score=min_score)
    finder = ClauseFinder(config, None)  # type: ignore[arg-type]  # categories need no context
    found = {}
    for name, query in finder.categories():
        finding = finder.find(case.text, name, query)
        found[name] = (finding["start"], finding["end"]) if finding.get("quote") else None
    return found


def scores(cases: list[Case], findings: list[Found]) -> dict[str, tuple[float, float, int]]:
    """(precision, recall, labelled pairs) per category."""
    out = {}
    for category in findings[0]:
        reported = right = labelled = 0
        for case, found in zip(cases, findings, strict=True):
            labels, span = case.labels.get(category, []), found[category]
            labelled += bool(labels)
            if span is not None:
                reported += 1
                right += any(span[0] < end and start < span[1] for start, end in labels)
        out[category] = (right / reported if reported else 0.0, right / labelled if labelled else 0.0, labelled)
    return out


def averages(per: dict[str, tuple[float, float, int]], cases: list[Case], findings: list[Found]) -> dict[str, float]:
    """Macro and micro precision and recall."""
    reported = sum(1 for f in findings for span in f.values() if span is not None)
    right = sum(
        1
        for case, f in zip(cases, findings, strict=True)
        for category, span in f.items()
        if span is not None and any(span[0] < e and s < span[1] for s, e in case.labels.get(category, []))
    )
    labelled = sum(n for _, _, n in per.values())
    return {
        "macro_p": statistics.mean(p for p, _, _ in per.values()),
        "macro_r": statistics.mean(r for _, r, _ in per.values()),
        "micro_p": right / reported if reported else 0.0,
        "micro_r": right / labelled if labelled else 0.0,
    }


def print_categories(
    title: str, per: dict[str, tuple[float, float, int]], base: dict[str, tuple[float, float, int]]
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("category", "labelled", "precision", "recall", "baseline P", "baseline R"):
        table.add_column(column)
    for category, (p, r, n) in per.items():
        bp, br, _ = base[category]
        table.add_row(category, str(n), f"{p:.3f}", f"{r:.3f}", f"{bp:.3f}", f"{br:.3f}")
    Console().print(table)


def finder_results(cases: list[Case]) -> list[Result]:
    started = time.perf_counter()
    shipped = [finder_findings(c) for c in cases]
    seconds = (time.perf_counter() - started) / len(cases)
    always = [finder_findings(c, min_score=0.0) for c in cases]
    per, base = scores(cases, shipped), scores(cases, always)
    print_categories(f"clause finder on {len(cases)} CUAD contracts ({seconds:.2f} s per contract)", per, base)
    ours, theirs = averages(per, cases, shipped), averages(base, cases, always)
    rows = []
    for key, label in (("macro", "mean over categories"), ("micro", "over all pairs")):
        p, r = ours[f"{key}_p"], ours[f"{key}_r"]
        rows.append(
            Result(
                f"C1-{key}-P",
                f"precision, {label}",
                "",
                p,
                theirs[f"{key}_p"],
                "best piece always",
                ">= 0.50",
                p >= 0.5,
            )
        )
        rows.append(
            Result(
                f"C1-{key}-R", f"recall, {label}", "", r, theirs[f"{key}_r"], "best piece always", ">= 0.80", r >= 0.8
            )
        )
    return rows


@contextmanager
def cloud_server() -> Iterator[str]:
    """``llama_cpp.server`` with the embedded GGUF on loopback, as the tests' "cloud" (its base URL)."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.models.llamacpp import find_gguf
    from tests.servers.process import free_port, running

    gguf = find_gguf(Catalog.load().resolve("local-smollm2").spec)
    port = free_port()
    args = ["-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "cloud-test", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--n_ctx", "2048", "--api_key", "bench-key"]
    with running(args, f"http://127.0.0.1:{port}/v1/models", log=Path("/tmp/hybridgraph-bench-cloud.log")):
        yield f"http://127.0.0.1:{port}/v1"


def run_pipeline(cases: list[Case], clients: Callable[[], Any]) -> dict[str, Any]:
    """The contract-review pipeline on ``cases``: findings, model steps per zone, tokens per zone."""
    from hybridgraph.graphs.pipeline import Pipeline

    pipeline = Pipeline.load("contract-review", **clients())
    findings, zones, started = [], {}, time.perf_counter()
    for case in cases:
        result = asyncio.run(pipeline.run(case.text, source=case.name))
        findings.append(
            {f["category"]: (f["start"], f["end"]) if f.get("quote") else None for f in result.state["findings"]}
        )
        for zone, totals in result.state["economics"]["zones"].items():
            row = zones.setdefault(zone, {"calls": 0, "tokens": 0})
            row["calls"] += int(totals["calls"])
            row["tokens"] += int(totals["input_tokens"] + totals["output_tokens"])
    calls = sum(z["calls"] for z in zones.values())
    local = zones.get("local", {}).get("calls", 0)
    seconds = (time.perf_counter() - started) / len(cases)
    return {"findings": findings, "zones": zones, "local_share": local / calls if calls else 1.0, "seconds": seconds}


def hybrid_clients(base_url: str) -> Callable[[], Any]:
    def make() -> Any:
        from hybridgraph.catalog import Catalog, Endpoint
        from hybridgraph.models import open_model

        catalog = Catalog.load()
        cloud = Endpoint(name="cloud-gpt", model="litellm:openai/cloud-test", zone="public", base_url=base_url)
        os.environ["OPENAI_API_KEY"] = "bench-key"
        return {
            "clients": [
                open_model(catalog.resolve("local-smollm2"), catalog=catalog),
                open_model(cloud, catalog=catalog),
            ]
        }

    return make


def pipeline_results(cases: list[Case]) -> list[Result]:
    from rich.console import Console

    local = run_pipeline(cases, dict)
    with cloud_server() as url:
        hybrid = run_pipeline(cases, hybrid_clients(url))
    console = Console()
    for name, run in (("local-only", local), ("hybrid", hybrid)):
        avg = averages(scores(cases, run["findings"]), cases, run["findings"])
        tokens = ", ".join(f"{z}: {v['calls']} calls, {v['tokens']} tokens" for z, v in run["zones"].items())
        console.print(
            f"{name}: {len(cases)} contracts, {run['seconds']:.0f} s each; macro P {avg['macro_p']:.3f} R "
            f"{avg['macro_r']:.3f}; {run['local_share']:.0%} of model steps local ({tokens})"
        )
    share = hybrid["local_share"]
    return [
        Result(
            "C2", "model steps kept local, hybrid", "", share, local["local_share"], "local-only run", "report", True
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--contracts", type=int, default=None, help="finder: the first N contracts (default: all)")
    parser.add_argument("--runs", type=int, default=0, help="pipeline: the first K contracts (slow; default 0)")
    ns = parser.parse_args()
    cases = load_cases(ns.data, ns.contracts)
    if not cases:
        print(f"CUAD not found under {ns.data}/cuad; skipping", file=sys.stderr)
        return 0
    results = finder_results(cases)
    if ns.runs:
        results += pipeline_results(cases[: ns.runs])
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
