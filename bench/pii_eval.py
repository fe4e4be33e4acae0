"""PII detection quality and speed: hybridgraph's detector vs stock Presidio, same spaCy model, same run.

Reads ``<data>/pii/generated_large.json`` (labelled sentences; see ../shared/data/README.md).
Recall per labelled entity type: a labelled span counts as found when findings cover at least
half of its characters, whatever their type (a placeholder over most of a value protects it;
a stray hit on one word of a long address does not). Precision is by overlap: a finding is
right when it overlaps any labelled span.

``--half even`` or ``--half odd`` takes every other record: tune on one half, check on the other.

Run: ``python -m bench.pii_eval [--data ../shared/data] [--limit N] [--half even|odd]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
Span = tuple[int, int]


def load_records(data: Path, limit: int | None, half: str = "all") -> list[dict[str, Any]] | None:
    """The labelled records (``half``: all, or every other one from the first (even) or second (odd))."""
    path = data / "pii" / "generated_large.json"
    if not path.is_file():
        return None
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    if half != "all":
        records = records[half == "odd" :: 2]
    return records[:limit] if limit else records


def half_covered(start: int, end: int, spans: list[Span]) -> bool:
    """True if ``spans`` cover at least half of the characters of ``[start, end)``."""
    inside = set()
    for a, b in spans:
        inside.update(range(max(a, start), min(b, end)))
    return 2 * len(inside) >= end - start


def stock_engine() -> Any:
    """Presidio's ``AnalyzerEngine`` as shipped: default recognizers, the same spaCy model."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from hybridgraph.tools.pii.detector import SPACY_MODEL, _tldextract_offline

    _tldextract_offline()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def stock_presidio() -> Callable[[str], list[Span]]:
    engine = stock_engine()
    return lambda text: [(r.start, r.end) for r in engine.analyze(text=text, language="en")]


def hybridgraph_detector() -> Callable[[str], list[Span]]:
    from hybridgraph.tools.pii.detector import PiiDetector

    detector = PiiDetector()
    return lambda text: [(f.start, f.end) for f in detector.detect(text)]


def evaluate(records: list[dict[str, Any]], detect: Callable[[str], list[Span]]) -> dict[str, Any]:
    detect("warm-up")
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    right = predicted = 0
    started = time.perf_counter()
    for record in records:
        text = record["full_text"]
        spans = detect(text)
        labels = [(s["start_position"], s["end_position"], s["entity_type"]) for s in record["spans"]]
        for start, end, kind in labels:
            total[kind] += 1
            found[kind] += half_covered(start, end, spans)
        predicted += len(spans)
        right += sum(any(a < e and s < b for s, e, _ in labels) for a, b in spans)
    seconds = time.perf_counter() - started
    recall = {kind: found[kind] / total[kind] for kind in total}
    return {
        "recall": recall,
        "precision": right / predicted if predicted else 1.0,
        "seconds": seconds,
        "support": dict(total),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--half", choices=["all", "even", "odd"], default="all")
    ns = parser.parse_args()
    records = load_records(ns.data, ns.limit, ns.half)
    if records is None:
        print(f"skipped: no labelled PII data at {ns.data / 'pii'} (pass --data DIR)", file=sys.stderr)
        return 0
    ours = evaluate(records, hybridgraph_detector())
    stock = evaluate(records, stock_presidio())
    print(
        f"{len(records)} records · precision (overlap) hybridgraph {ours['precision']:.3f} "
        f"vs stock {stock['precision']:.3f} · time {ours['seconds']:.1f}s vs {stock['seconds']:.1f}s "
        f"(ratio {ours['seconds'] / stock['seconds']:.2f})"
    )
    print(f"{'entity':<20}{'n':>6}{'recall':>10}{'stock':>10}")
    for kind, n in sorted(ours["support"].items(), key=lambda kv: -kv[1]):
        print(f"{kind:<20}{n:>6}{ours['recall'][kind]:>10.3f}{stock['recall'][kind]:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
