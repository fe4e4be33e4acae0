"""P2: redaction of CUAD contracts, hybridgraph vs stock Presidio, same spaCy model, same run.

Stock is ``AnalyzerEngine.analyze`` on the whole text plus ``AnonymizerEngine.anonymize``;
hybridgraph is the default detector's ``detect`` plus ``pseudonymize``: a ``ParallelDetector``
that gives half a contract to a worker process on a 2-CPU machine; the same detector in one
process is timed as well. Contracts of 20-30 kB are timed in blocks, the redactors taking turns
in rotating order (see ``measure``).

Party recall: the party names CUAD's experts labelled (``Parties`` in master_clauses.csv; role
words such as "Distributor" that share no word with a party's name are left out). Every
case-insensitive, whole-word mention of a name in the contract counts; a mention is recalled
when findings cover all of it.

Run: ``python -m bench.redaction [--data ../shared/data] [--contracts N]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Result
from bench.pii_eval import DEFAULT_DATA, Span, stock_engine

Redact = Callable[[str], list[Span]]
#: What a contract calls a party by its role; such defined terms are not names.
_ROLE_WORDS = frozenset(
    [
        "company",
        "association",
        "corporation",
        "bank",
        "trust",
        "partnership",
        "party",
        "parties",
        "licensor",
        "licensee",
        "distributor",
        "supplier",
        "customer",
        "buyer",
        "seller",
        "vendor",
        "contractor",
        "consultant",
        "provider",
        "recipient",
        "manufacturer",
        "agent",
        "franchisee",
        "franchisor",
        "investor",
        "holder",
        "lender",
        "borrower",
        "employer",
        "employee",
        "executive",
        "sponsor",
        "reseller",
        "developer",
        "client",
        "purchaser",
        "owner",
        "landlord",
        "tenant",
        "fund",
    ]
)


def load_contracts(data: Path, count: int) -> list[tuple[str, list[str]]] | None:
    """``(text, party names)`` for the first ``count`` contracts of 20-30 kB, by file name."""
    folder, table = data / "cuad" / "full_contract_txt", data / "cuad" / "master_clauses.csv"
    if not folder.is_dir() or not table.is_file():
        return None
    with table.open(encoding="utf-8") as fh:
        parties = {row["Filename (txt)"]: row["Parties"] for row in csv.DictReader(fh)}
    picked = []
    for path in sorted(folder.iterdir()):
        if 20_000 <= path.stat().st_size <= 30_000 and path.name in parties:
            picked.append((path.read_text(encoding="utf-8", errors="replace"), party_names(parties[path.name])))
        if len(picked) == count:
            break
    return picked


def party_names(cell: str) -> list[str]:
    """Names from a ``Parties`` cell: full names, and the defined short names that share a word with one."""
    entries = [e.strip() for e in ast.literal_eval(cell) if isinstance(e, str)] if cell.startswith("[") else []
    names = [
        e
        for e in entries
        if e
        and len(e) <= 80
        and not re.search("[\"\u201c\u201d()]|^['\u2018]|['\u2019]$", e)
        and not re.match(r"[a-z]+ \w+ \w", e)
    ]
    words = [set(re.findall(r"\w+", n.lower())) for n in names]
    full = [w for n, w in zip(names, words, strict=True) if len(w) > 1 or re.search(r"[A-Z]{2,}|\.", n)]
    named = [n for n, w in zip(names, words, strict=True) if len(w) > 1 or any(w & f for f in full if f != w)]
    return [n for n in named if n.lower() not in _ROLE_WORDS]


def party_mentions(text: str, names: list[str]) -> list[Span]:
    spans = []
    for name in names:
        pattern = r"\s+".join(re.escape(word) for word in name.split())
        spans += [(m.start(), m.end()) for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE)]
    return spans


def covered(span: Span, found: list[Span]) -> bool:
    """True if the union of ``found`` covers every character of ``span``."""
    position = span[0]
    for start, end in sorted(found):
        if start <= position < end:
            position = end
        if position >= span[1]:
            return True
    return False


def ours(workers: int | None = None) -> Redact:
    """The default detector (``ParallelDetector``, workers started first), or one process with ``workers=0``."""
    from hybridgraph.tools.pii import Vault, pseudonymize
    from hybridgraph.tools.pii.detector import PiiDetector
    from hybridgraph.tools.pii.parallel import ParallelDetector

    detector = ParallelDetector(PiiDetector(), workers=workers)
    detector.start(wait=True)

    def redact(text: str) -> list[Span]:
        findings = detector.detect(text)
        pseudonymize(text, findings, Vault())
        return [(f.start, f.end) for f in findings]

    return redact


def stock() -> Redact:
    from presidio_anonymizer import AnonymizerEngine

    engine, anonymizer = stock_engine(), AnonymizerEngine()

    def redact(text: str) -> list[Span]:
        results = engine.analyze(text=text, language="en")
        anonymizer.anonymize(text=text, analyzer_results=results)
        return [(r.start, r.end) for r in results]

    return redact


def measure(contracts: list[tuple[str, list[str]]], blocks: int = 4) -> dict[str, dict[str, float]]:
    """Seconds per contract and party-mention recall for each redactor.

    Each redactor runs a block of contracts back to back, as in a batch (a worker left idle while
    another redactor runs would be timed waking up). The contracts are cut into ``blocks`` blocks
    and the redactors take turns in rotating order, so drift in machine speed hits all alike.
    """
    redactors = {"hybridgraph": ours(), "hybridgraph, 1 process": ours(workers=0), "stock": stock()}
    for redact in redactors.values():  # the first long text loads lazy parts (phone metadata, regex caches)
        redact(contracts[0][0])
    seconds = dict.fromkeys(redactors, 0.0)
    hits = dict.fromkeys(redactors, 0)
    mentions = [party_mentions(text, names) for text, names in contracts]
    size = max(1, -(-len(contracts) // blocks))
    for b, first in enumerate(range(0, len(contracts), size)):
        block = range(first, min(len(contracts), first + size))
        names = list(redactors)
        for name in names[b % len(names) :] + names[: b % len(names)]:
            started = time.perf_counter()
            found = [redactors[name](contracts[i][0]) for i in block]
            seconds[name] += time.perf_counter() - started
            hits[name] += sum(covered(m, spans) for i, spans in zip(block, found, strict=True) for m in mentions[i])
    total = sum(len(m) for m in mentions)
    return {
        name: {"seconds": seconds[name] / len(contracts), "party_recall": hits[name] / total if total else 1.0}
        for name in redactors
    }


def run(quick: bool, data: Path = DEFAULT_DATA) -> Result | None:
    contracts = load_contracts(data, 6 if quick else 24)
    if not contracts:
        print(f"skipping P2 (redaction): no CUAD contracts at {data / 'cuad'}", file=sys.stderr)
        return None
    m = measure(contracts)
    ours_s, stock_s = m["hybridgraph"]["seconds"], m["stock"]["seconds"]
    print(
        f"P2: {len(contracts)} contracts · s/contract hybridgraph {ours_s:.2f} "
        f"(1 process {m['hybridgraph, 1 process']['seconds']:.2f}) vs stock {stock_s:.2f} · "
        f"party recall {m['hybridgraph']['party_recall']:.3f} vs {m['stock']['party_recall']:.3f}",
        file=sys.stderr,
    )
    return Result(
        key="P2",
        measure="redaction of a CUAD contract (20-30 kB) vs stock Presidio",
        unit="s",
        value=ours_s,
        baseline=stock_s,
        baseline_name="stock Presidio (analyze + anonymize)",
        goal="<= 0.33 (3x faster)",
        holds=ours_s * 3 <= stock_s and m["hybridgraph"]["party_recall"] >= m["stock"]["party_recall"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--contracts", type=int, default=24)
    ns = parser.parse_args()
    contracts = load_contracts(ns.data, ns.contracts)
    if not contracts:
        print(f"skipped: no CUAD contracts at {ns.data / 'cuad'} (pass --data DIR)", file=sys.stderr)
        return 0
    m = measure(contracts)
    print(f"{len(contracts)} CUAD contracts of 20-30 kB")
    print(f"{'':<24}{'s/contract':>12}{'party recall':>14}{'speed-up':>10}")
    for name, row in m.items():
        speedup = m["stock"]["seconds"] / row["seconds"]
        print(f"{name:<24}{row['seconds']:>12.2f}{row['party_recall']:>14.3f}{speedup:>9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
