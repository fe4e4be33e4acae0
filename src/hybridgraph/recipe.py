"""How to build a run's graph again: the part of a durable run that lets another process
rebuild exactly the graph a run was started with (``hybridgraph resume`` and ``approve``).
Validating a recipe imports nothing heavy; building one loads the agents and models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hybridgraph.catalog import Catalog

__all__ = ["Recipe"]


class Recipe(BaseModel):
    """How to build a run's graph: enough for another process to rebuild it exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Literal["cascade", "parallel", "split"] = "cascade"
    category: str = Field(description="the clause category to find, e.g. 'Cap on Liability'")
    policy: str = Field(default="balanced", description="a preset name or a policy YAML file")
    endpoints: tuple[str, ...] = Field(default=(), description="catalog endpoints; default: the policy's two")
    samples: int = Field(default=1, ge=1, le=8)

    def build(self, checkpointer: Any, catalog: Catalog) -> tuple[Any, list[str]]:
        """The compiled graph, and the endpoints it has clients for."""
        from hybridgraph.agents.redactor import RedactorAgent
        from hybridgraph.graphs.cascade import cascade
        from hybridgraph.graphs.parallel import parallel
        from hybridgraph.graphs.split import split
        from hybridgraph.models import open_model
        from hybridgraph.policies import Policy, RulePolicy
        from hybridgraph.tools.pii.vault_store import VaultStore

        policy = Policy.load(self.policy)
        names = list(self.endpoints or (policy.local_endpoint, policy.cloud_endpoint))
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
