"""How to build a run's graph again: the part of a durable run that lets another process
rebuild exactly the graph a run was started with (``hybridgraph resume`` and ``approve``).
Validating a recipe imports nothing heavy; building one loads the agents and models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.catalog import Catalog

__all__ = ["Recipe"]


class Recipe(BaseModel):
    """How to build a run's graph: enough for another process to rebuild it exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Literal["cascade", "parallel", "split"] = "cascade"
    category: str = Field(description="the clause category to find, e.g. 'Cap on Liability'")
    policy: str = Field(default="balanced", description="a preset name or the absolute path of a policy file")
    catalog: str | None = Field(default=None, description="the absolute path of an extra catalog file, if any")
    samples: int = Field(default=1, ge=1, le=8)

    @classmethod
    def of(cls, pattern: str, category: str, policy: str, catalog: Path | None = None, samples: int = 1) -> Recipe:
        """A recipe with file paths made absolute, so any directory can resume the run."""
        from hybridgraph.policies import PRESETS

        policy = policy if policy in PRESETS else str(Path(policy).resolve())
        where = str(catalog.resolve()) if catalog else None
        fields = {"pattern": pattern, "category": category, "policy": policy, "catalog": where, "samples": samples}
        return cls.model_validate(fields)

    def load_catalog(self) -> Catalog:
        """The catalog the run was started with (the shipped one, the home's, and its extra file)."""
        return Catalog.load(self.catalog)

    def endpoints(self) -> list[str]:
        """The policy's local and cloud endpoints: the run's model clients."""
        from hybridgraph.policies import Policy

        policy = Policy.load(self.policy)
        return [policy.local_endpoint, policy.cloud_endpoint]

    def build(self, checkpointer: Any, catalog: Catalog) -> tuple[Any, list[str]]:
        """The compiled graph, and the endpoints it has clients for (the policy's two)."""
        from hybridgraph.agents.redactor import RedactorAgent
        from hybridgraph.graphs.cascade import cascade
        from hybridgraph.graphs.parallel import parallel
        from hybridgraph.graphs.split import split
        from hybridgraph.models import open_model
        from hybridgraph.policies import Policy, RulePolicy
        from hybridgraph.tools.pii.vault_store import VaultStore

        policy = Policy.load(self.policy)
        names = [policy.local_endpoint, policy.cloud_endpoint]
        clients = [open_model(catalog.resolve(name), catalog=catalog) for name in names]
        builder = {"cascade": cascade, "parallel": parallel, "split": split}[self.pattern]
        graph = builder(
            self.task(),
            clients,
            RulePolicy.from_catalog(policy, catalog),
            redactor=RedactorAgent(store=VaultStore()),
            samples=self.samples,
            checkpointer=checkpointer,
        )
        return graph, names

    def task(self) -> Any:
        """The clause task, with the category's phrasings as the excerpt query when it is a known one."""
        from hybridgraph.agents.tasks import clause_task
        from hybridgraph.tools.knowledge import clause_categories

        known = {c.name.lower(): c for c in clause_categories()}
        category = known.get(self.category.lower())
        return clause_task(self.category, query=category.query if category else self.category)
