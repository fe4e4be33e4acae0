"""``Reporter``: the last step of a review pipeline. Totals the run's economics and status and
builds its ``Report`` (``tools/reports``); writing the files is the caller's choice
(``Pipeline.write_reports``), so a run in code costs no disk."""

from __future__ import annotations

from typing import Any, Optional

from langchain_core.runnables import RunnableConfig

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.graphs.economics import economics
from hybridgraph.state import RunState
from hybridgraph.tools.reports import build_report
from hybridgraph.zones import TrustZone

__all__ = ["Reporter"]


class Reporter(PipelineAgent):
    """Writes ``economics``, ``status`` and ``report`` (plain JSON) into the state."""

    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """Build the report of the run so far."""
        cloud = next((c.endpoint for c in self.context.clients if c.zone is not TrustZone.LOCAL), None)
        totals = economics(state.get("uses", []), cloud, self.context.budget)
        report = build_report({**state, "economics": totals}, self.context.pipeline, state.get("source", "document"))
        status = "needs_review" if report.needs_review else "accepted"
        return {"economics": totals, "status": status, "report": report.model_dump(mode="json")}
