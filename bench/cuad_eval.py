"""Contract review on CUAD: precision and recall of `contract-review` findings per category.

A finding is a clause the pipeline reports for a category, with its quote (a category may have
two); it is right when the quote overlaps a clause CUAD's lawyers labelled for that category in
that contract. Precision is the share of findings that are right; recall is the share of
labelled (contract, category) pairs that a right finding covers. Both are given
per category, as their mean over the ten categories (macro) and over all pairs (micro).

1. **Finder** (every contract, seconds per contract): the shipped ``clause-finder`` step
   (hybrid ranking, cues, threshold, a close second clause), against the baseline measured in
   the same run: BM25 ranking with no threshold, the best-matching piece always reported.
2. **Pipeline** (``--runs K``: the K shortest contracts, minutes each on 2 cores): the whole ``contract-review``
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

Span = tuple[int, int]
Found = dict[str, list[Span]]  # category -> the spans of its findings (none: not found)


def finder_findings(case: Case, **settings: Any) -> Found:
    """The shipped finder's findings on one contract (``settings`` override its configuration)."""
    from hybridgraph.agents.clauses import ClauseFinder, FinderConfig

    finder = ClauseFinder(FinderConfig(**settings), None)  # type: ignore[arg-type]  # categories need no context
    return {
        c.name: [(f["start"], f["end"]) for f in finder.find(case.text, c) if f.get("quote")]
        for c in finder.categories()
    }


def _right(span: Span, labels: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in labels)


def _counts(cases: list[Case], findings: list[Found], category: str) -> tuple[int, int, int, int]:
    """(findings reported, findings right, contracts labelled, labelled contracts a right finding covers)."""
    reported = right = labelled = covered = 0
    for case, found in zip(cases, findings, strict=True):
        labels, spans = case.labels.get(category, []), found[category]
        hits = sum(_right(span, labels) for span in spans)
        reported, right = reported + len(spans), right + hits
        labelled, covered = labelled + bool(labels), covered + bool(labels and hits)
    return reported, right, labelled, covered


def scores(cases: list[Case], findings: list[Found]) -> dict[str, tuple[float, float, int]]:
    """(precision, recall, labelled pairs) per category. Precision counts findings (a category may
    have two); recall counts labelled (contract, category) pairs that a right finding covers."""
    out = {}
    for category in findings[0]:
        reported, right, labelled, covered = _counts(cases, findings, category)
        out[category] = (right / reported if reported else 0.0, covered / labelled if labelled else 0.0, labelled)
    return out


def averages(per: dict[str, tuple[float, float, int]], cases: list[Case], findings: list[Found]) -> dict[str, float]:
    """Macro and micro precision and recall."""
    totals = [_counts(cases, findings, category) for category in per]
    reported, right = sum(t[0] for t in totals), sum(t[1] for t in totals)
    labelled, covered = sum(t[2] for t in totals), sum(t[3] for t in totals)
    return {
        "macro_p": statistics.mean(p for p, _, _ in per.values()),
        "macro_r": statistics.mean(r for _, r, _ in per.values()),
        "micro_p": right / reported if reported else 0.0,
        "micro_r": covered / labelled if labelled else 0.0,
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


def print_halves(cases: list[Case], findings: list[Found]) -> None:
    """Macro precision and recall on the even-numbered contracts (by name), where the categories'
    cues and thresholds were chosen, and on the odd-numbered ones, which they were not tuned on."""
    for name, part in (("even (tuned on)", 0), ("odd (held out)", 1)):
        picked = [(c, f) for i, (c, f) in enumerate(zip(cases, findings, strict=True)) if i % 2 == part]
        if not picked:
            continue
        subset, found = [c for c, _ in picked], [f for _, f in picked]
        avg = averages(scores(subset, found), subset, found)
        print(f"{name}: {len(subset)} contracts, macro precision {avg['macro_p']:.3f}, recall {avg['macro_r']:.3f}")


def finder_results(cases: list[Case]) -> list[Result]:
    started = time.perf_counter()
    shipped = [finder_findings(c) for c in cases]
    seconds = (time.perf_counter() - started) / len(cases)
    always = [finder_findings(c, ranking="lexical", min_score=0.0, per_category=1) for c in cases]
    per, base = scores(cases, shipped), scores(cases, always)
    print_categories(f"clause finder on {len(cases)} CUAD contracts ({seconds:.2f} s per contract)", per, base)
    ours, theirs = averages(per, cases, shipped), averages(base, cases, always)
    print_halves(cases, shipped)
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
                "BM25, best piece always",
                ">= 0.50",
                p >= 0.5,
            )
        )
        rows.append(
            Result(
                f"C1-{key}-R",
                f"recall, {label}",
                "",
                r,
                theirs[f"{key}_r"],
                "BM25, best piece always",
                ">= 0.80",
                r >= 0.8,
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
        found: Found = {}
        for f in result.state["findings"]:
            found.setdefault(f["category"], []).extend([(f["start"], f["end"])] if f.get("quote") else [])
        findings.append(found)
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
        cloud = Endpoint(
            name="cloud-gpt",
            model="litellm:openai/cloud-test",
            zone="public",
            api_base=base_url,
            api_key_env="HYBRIDGRAPH_BENCH_CLOUD_KEY",
            usd_per_1m_input=0.15,  # gpt-4o-mini's list prices, so the cost column means something
            usd_per_1m_output=0.60,
            context_window=2048,
            tier="large",
            structured_output="json_object",
        )
        os.environ["HYBRIDGRAPH_BENCH_CLOUD_KEY"] = "bench-key"
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
    parser.add_argument("--runs", type=int, default=0, help="pipeline: the K shortest contracts (slow; default 0)")
    ns = parser.parse_args()
    cases = load_cases(ns.data, ns.contracts)
    if not cases:
        print(f"CUAD not found under {ns.data}/cuad; skipping", file=sys.stderr)
        return 0
    results = finder_results(cases)
    if ns.runs:
        results += pipeline_results(sorted(cases, key=lambda c: len(c.text))[: ns.runs])
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
