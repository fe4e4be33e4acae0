"""NDA check on ContractNLI: accuracy of `nda-check` labels per label on the dev set.

For every NDA and each of the 17 checklist statements (the ContractNLI hypotheses), the
pipeline says Entailment, Contradiction or NotMentioned; the dev set's expert label is the
answer. Reported: accuracy per gold label and overall, against the baseline measured in the
same run, always answering the most common label of the set; and how often the passage the
finder picked overlaps the labelled evidence (for Entailment and Contradiction); and, for the
answers whose model gave log-probabilities, the accuracy below and above each quartile of their
token confidence (is a low-confidence answer more often wrong, so worth escalating?).

Run: ``python -m bench.contractnli_eval [--data ../shared/data] [--docs N]`` (about a minute
per NDA with the embedded model on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Result, print_table
from bench.pii_eval import DEFAULT_DATA

LABELS = {"entailment": "Entailment", "contradiction": "Contradiction", "not_mentioned": "NotMentioned"}


@dataclass
class Nda:
    """One NDA of the dev set: its text, its spans, and the gold label and evidence per statement."""

    name: str
    text: str
    gold: dict[str, str]
    evidence: dict[str, list[tuple[int, int]]]


def load_ndas(data: Path, count: int | None) -> list[Nda] | None:
    path = data / "contractnli" / "dev.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    ndas = []
    for doc in raw["documents"][: count or None]:
        annotations = doc["annotation_sets"][0]["annotations"]
        ndas.append(
            Nda(
                name=doc["file_name"],
                text=doc["text"],
                gold={key.upper(): a["choice"] for key, a in annotations.items()},
                evidence={key.upper(): [tuple(doc["spans"][i]) for i in a["spans"]] for key, a in annotations.items()},
            )
        )
    return ndas


def evaluate(
    ndas: list[Nda], pipeline: Any, confidences: list[tuple[float, bool]] | None = None
) -> tuple[list[tuple[str, str]], int, int, float]:
    """(gold, predicted) pairs, evidence hits, evidence cases, seconds per NDA. ``confidences``
    collects (token confidence, right) for every statement the local model answered."""
    pairs, hits, cases, started = [], 0, 0, time.perf_counter()
    for nda in ndas:
        result = asyncio.run(pipeline.run(nda.text, source=nda.name))
        for finding in result.state["findings"]:
            rule, gold = finding["rule"], nda.gold.get(finding["rule"])
            if gold is None:
                continue
            predicted = LABELS.get(finding.get("label", ""), "none")
            pairs.append((gold, predicted))
            if confidences is not None and finding.get("token_confidence") is not None:
                confidences.append((float(finding["token_confidence"]), gold == predicted))
            if gold != "NotMentioned":
                cases += 1
                span = (finding.get("start", 0), finding.get("end", 0))
                hits += bool(finding.get("quote")) and any(span[0] < e and s < span[1] for s, e in nda.evidence[rule])
    return pairs, hits, cases, (time.perf_counter() - started) / len(ndas)


def accuracy(pairs: list[tuple[str, str]], label: str | None = None) -> float:
    chosen = [(g, p) for g, p in pairs if label is None or g == label]
    return sum(g == p for g, p in chosen) / len(chosen) if chosen else 0.0


def print_calibration(confidences: list[tuple[float, bool]]) -> None:
    """Accuracy of the statements the local model answered with token confidence below and at or
    above each quartile: what a ``token_confidence_below`` rule at that threshold would escalate,
    and how right the answers it escalates and keeps are."""
    if len(confidences) < 8:
        print("token confidence: too few answers with log-probabilities to compare")
        return
    values = sorted(c for c, _ in confidences)
    for q in (0.25, 0.5, 0.75):
        threshold = values[int(q * len(values))]
        low = [right for c, right in confidences if c < threshold]
        high = [right for c, right in confidences if c >= threshold]
        print(
            f"token confidence < {threshold:.3f} ({len(low)} answers, {len(low) / len(confidences):.0%}): "
            f"accuracy {sum(low) / max(1, len(low)):.3f}; >= it ({len(high)}): {sum(high) / max(1, len(high)):.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--docs", type=int, default=10, help="the first N NDAs of the dev set (0: all 61)")
    ns = parser.parse_args()
    ndas = load_ndas(ns.data, ns.docs or None)
    if not ndas:
        print(f"ContractNLI not found under {ns.data}/contractnli; skipping", file=sys.stderr)
        return 0
    from hybridgraph.graphs.pipeline import Pipeline

    confidences: list[tuple[float, bool]] = []
    pairs, hits, cases, seconds = evaluate(ndas, Pipeline.load("nda-check"), confidences)
    majority = Counter(g for g, _ in pairs).most_common(1)[0][0]
    baseline = [(g, majority) for g, _ in pairs]
    counts = Counter(g for g, _ in pairs)
    print(f"{len(ndas)} NDAs, {len(pairs)} statements, {seconds:.0f} s per NDA; gold labels: {dict(counts)}")
    print(
        f"evidence: the finder's passage overlaps the labelled evidence in {hits}/{cases} ({hits / max(1, cases):.0%})"
    )
    print_calibration(confidences)
    results = [
        Result(
            f"N-{label}",
            f"accuracy, gold {label} ({counts[label]})",
            "",
            accuracy(pairs, label),
            accuracy(baseline, label),
            f"always {majority}",
            "report",
            True,
        )
        for label in LABELS.values()
    ]
    overall = accuracy(pairs)
    results.append(
        Result(
            "N-all",
            "accuracy, all statements",
            "",
            overall,
            accuracy(baseline),
            f"always {majority}",
            "> baseline",
            overall > accuracy(baseline),
        )
    )
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
