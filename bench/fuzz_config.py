"""Fuzz the pipeline and policy YAML loaders: every input must give a clear ``ConfigError`` or a
valid configuration, never a traceback.

Inputs come from three Hypothesis strategies: random YAML trees built from the real keys and
agent names mixed with junk (``yaml_trees``), the shipped pipelines and presets with random
edits (``mutated``), and arbitrary text. A valid pipeline is also compiled into its graph on
fake models, since names are only fully checked there.

Run: ``python -m bench.fuzz_config [--cases 10000]``. The tests run a smaller sample.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections import Counter
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "$schema", "name", "description", "inputs", "models", "policy", "knowledge", "steps", "pattern", "edges",
    "outputs", "id", "agent", "with", "from", "to", "when", "sensitivity", "has", "lacks", "formats", "local",
    "cloud", "checklist", "rules", "action", "endpoint", "reason", "default", "local_endpoint", "cloud_endpoint",
    "categories", "min_score", "piece_chars", "items", "mode", "concurrency", "samples", "limit",
]  # fmt: skip
WORDS = [
    "redactor", "clause-finder", "clause-judge", "quote-verifier", "reporter", "sequence", "end", "balanced",
    "strict", "cost-saver", "builtin:procurement-checklist", "markdown", "html", "json", "restricted", "local",
    "cloud_redacted", "human", "deny", "checklist", "statements", "cascade", "parallel", "Cap on Liability",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[1]
SEEDS = [
    *(ROOT / "graphs" / "pipelines").glob("*.yaml"),
    *(ROOT / "policies" / "presets").glob("*.yaml"),
    *(ROOT / "examples" / "pipelines").glob("*.yaml"),
]

scalars = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.integers(-5, 100_000),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
yaml_trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=7),
    ),
    max_leaves=30,
).map(lambda tree: yaml.safe_dump(tree, allow_unicode=True))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped YAML file with a few random deletions, insertions and swaps."""
    text = draw(st.sampled_from(SEEDS)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "swap"]))
        piece = draw(st.sampled_from([":", "-", " ", "\n", "  ", "[", "{", "'", '"', "x", "0", "#", "\t", *WORDS]))
        if edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif edit == "insert":
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text


inputs = st.one_of(yaml_trees, mutated(), st.text(max_size=200))


def check(text: str, outcomes: Counter[str] | None = None) -> str | None:
    """None when ``text`` loads cleanly or fails with a ``ConfigError``; else the traceback.
    ``outcomes`` counts valid pipelines, valid policies and clear errors."""
    outcomes = Counter() if outcomes is None else outcomes
    from hybridgraph.errors import ConfigError
    from hybridgraph.graphs.pipeline import Pipeline
    from hybridgraph.graphs.spec import PipelineSpec
    from hybridgraph.policies import Policy
    from hybridgraph.testing import fake_clients
    from hybridgraph.yamlconfig import validate_yaml_text

    try:
        try:
            spec = validate_yaml_text(text, PipelineSpec, source="fuzz.yaml", context={"base": str(ROOT)})
            Pipeline(spec, clients=fake_clients(lambda request: "{}")).graph  # noqa: B018 - compiling checks names
            outcomes["valid pipeline"] += 1
        except ConfigError:
            outcomes["pipeline: ConfigError"] += 1
        try:
            validate_yaml_text(text, Policy, source="fuzz.yaml")
            outcomes["valid policy"] += 1
        except ConfigError:
            outcomes["policy: ConfigError"] += 1
    except Exception:  # noqa: BLE001 - what the fuzzer is looking for
        return traceback.format_exc()
    return None


def fuzz(cases: int) -> tuple[Counter[str], list[str]]:
    """Run ``cases`` inputs; what they gave and the tracebacks found."""
    outcomes: Counter[str] = Counter()
    failures: list[str] = []

    @settings(max_examples=cases, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def one(text: str) -> None:
        outcomes["inputs"] += 1
        failure = check(text, outcomes)
        if failure is not None:
            failures.append(failure)

    one()
    return outcomes, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    ns = parser.parse_args()
    started = time.perf_counter()
    outcomes, failures = fuzz(ns.cases)
    kinds = Counter(f.strip().splitlines()[-1] for f in failures)
    print(f"{outcomes['inputs']} inputs in {time.perf_counter() - started:.0f} s: {len(failures)} tracebacks")
    print("  " + ", ".join(f"{k} {v}" for k, v in outcomes.items() if k != "inputs"))
    for kind, n in kinds.most_common():
        print(f"  {n} x {kind}")
    if failures:
        print(failures[0])
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
