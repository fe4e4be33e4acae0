"""``PipelineAgent``: the base class of every agent a YAML pipeline can name, built-in or yours.

Write one by subclassing it: declare the agent's configuration as a pydantic model ``Config``
(what the step's ``with:`` may hold; unknown keys are errors), and implement ``__call__``, a
LangGraph node that reads the run state and returns its update. ``self.context`` gives what
the pipeline built once for every step: the model clients behind the policy, the routing
policy, the redactor (and so the run's vault), the checklist and the budget. Register it under
the ``hybridgraph.agents`` entry-point group (or with ``register_agent`` in code)::

    [project.entry-points."hybridgraph.agents"]
    word-count = "my_package.agents:WordCount"

    class WordCount(PipelineAgent):
        class Config(BaseModel):
            model_config = ConfigDict(extra="forbid")
            field: str = "document"

        async def __call__(self, state, config=None):
            return {"warnings": [f"{len(state[self.config.field].split())} words"]}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict

from hybridgraph.state import RunState

if TYPE_CHECKING:
    from hybridgraph.agents.redactor import RedactorAgent
    from hybridgraph.catalog import Catalog
    from hybridgraph.graphs.economics import Budget
    from hybridgraph.models.base import ModelClient
    from hybridgraph.policies import Policy, RoutingPolicy
    from hybridgraph.tools.checklist import Checklist

__all__ = ["BuildContext", "NoConfig", "PipelineAgent"]


class NoConfig(BaseModel):
    """The configuration of an agent that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class BuildContext:
    """What a pipeline shares with its steps: built once per pipeline, before any step."""

    pipeline: str
    catalog: Catalog
    policy: Policy
    routing: RoutingPolicy
    clients: list[ModelClient]
    redactor: RedactorAgent
    budget: Budget
    checklist_ref: str
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def checklist(self) -> Checklist:
        """The pipeline's checklist (read on first use)."""
        from hybridgraph.tools.checklist import load_checklist

        return load_checklist(self.checklist_ref)


class PipelineAgent(ABC):
    """A step of a pipeline: built from its ``Config`` and the pipeline's ``BuildContext``."""

    Config: ClassVar[type[BaseModel]] = NoConfig

    def __init__(self, config: BaseModel, context: BuildContext) -> None:
        self.config, self.context = config, context

    @classmethod
    def build(cls, settings: dict[str, Any], context: BuildContext) -> PipelineAgent:
        """The agent for a step's ``with:`` settings (validated against ``Config``)."""
        return cls(cls.Config.model_validate(settings), context)

    @abstractmethod
    async def __call__(self, state: RunState, config: Optional[RunnableConfig] = None) -> dict[str, Any]:  # noqa: UP045
        """The node: read ``state``, return the update."""
