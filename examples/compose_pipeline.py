"""Compose a review pipeline in code, with an agent of your own, and run it.

Run:  .venv/bin/python examples/compose_pipeline.py [CONTRACT] [--out DIR]
      (default: examples/contracts/supplier-agreement.txt; reports go to reports/)

The steps are the same as a YAML pipeline's: (id, registered agent, settings). The custom
agent, ``NoticePeriods``, is a ``PipelineAgent``: it lists the notice periods of the clauses
found, which a reviewer checks against the 90-day rule, and needs no model. It is registered
in code here; a package registers its agents under the ``hybridgraph.agents`` entry point.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from hybridgraph import HybridGraphError, Pipeline, PipelineAgent, register_agent

HERE = Path(__file__).resolve().parent
DAYS = re.compile(r"\b(\d{1,3})\)?\s*(?:calendar\s+|business\s+)?days?\b", re.IGNORECASE)


class NoticePeriods(PipelineAgent):
    """Notes every period of N days in the clauses found, and flags those over ``limit`` days."""

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        limit: int = 90

    config: Config

    async def __call__(self, state: Any, config: Any = None) -> dict[str, Any]:
        notes = []
        for finding in state.get("findings", []):
            for days in sorted({int(d) for d in DAYS.findall(finding.get("quote", ""))}):
                flag = " (over the limit)" if days > self.config.limit else ""
                notes.append(f"{finding['category']}: a period of {days} days{flag}")
        return {"warnings": notes}


def main() -> int:
    parser = argparse.ArgumentParser(description="a pipeline composed in code")
    parser.add_argument("contract", type=Path, nargs="?", default=HERE / "contracts" / "supplier-agreement.txt")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    ns = parser.parse_args()
    register_agent("notice-periods", NoticePeriods)
    pipeline = Pipeline.compose(
        "notice-review",
        [
            ("redact", "redactor"),
            ("find", "clause-finder", {"categories": ["Renewal Term", "Notice Period to Terminate Renewal"]}),
            ("periods", "notice-periods", {"limit": 90}),
            ("judge", "clause-judge"),
            ("verify_quotes", "quote-verifier"),
            ("report", "reporter"),
        ],
        policy="balanced",
    )
    try:
        result = pipeline.run_sync(ns.contract, on_step=lambda step: print(f"  done: {step}"))
    except HybridGraphError as exc:
        print(f"Error: {exc.message}\nFix: {exc.fix}")
        return 2
    report = result.report
    assert report is not None  # the pipeline ends with the reporter
    for finding in report.findings:
        print(f"{finding.category}: {finding.status} ({finding.route}) {finding.review}")
    for note in report.warnings:
        print(f"note: {note}")
    for path in pipeline.write_reports(result, ns.out):
        print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
