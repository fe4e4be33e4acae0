"""The pipeline spec: what a YAML pipeline may say, as pydantic models with a published JSON Schema.

A pipeline names its inputs, its models (catalog references that override the policy's
endpoints), its policy (a preset or a file), its knowledge (a checklist), its steps (an agent
registered under ``hybridgraph.agents`` and that agent's configuration under ``with``), how
the steps connect (``pattern: sequence``, or explicit ``edges`` with conditions) and the
report formats it writes. Names are checked while the YAML is validated, so an unknown agent or
a misspelt key is an error at its file:line:column with a "did you mean".
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from hybridgraph.errors import ConfigError
from hybridgraph.zones import Sensitivity

__all__ = ["END_STEP", "EdgeSpec", "InputSpec", "KnowledgeSpec", "ModelsSpec", "PipelineSpec", "StepSpec", "When"]

#: The target of an edge that ends the run.
END_STEP = "end"
Format = Literal["pdf", "docx", "txt", "md", "html"]
_ID = r"^[a-z][a-z0-9_-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InputSpec(_Strict):
    """One input of the pipeline and the file formats it accepts."""

    name: str = Field(default="document", pattern=_ID)
    description: str = ""
    formats: tuple[Format, ...] = ("pdf", "docx", "txt", "md", "html")


class ModelsSpec(_Strict):
    """Catalog endpoints that replace the policy's own (``hybridgraph models`` lists them)."""

    local: str | None = Field(default=None, description="the local endpoint, e.g. local-smollm2 or ollama-qwen")
    cloud: str | None = Field(default=None, description="the cloud endpoint, e.g. cloud-gpt")

    @field_validator("local", "cloud")
    @classmethod
    def _known_model(cls, ref: str | None, info: ValidationInfo) -> str | None:
        from hybridgraph.catalog import Catalog
        from hybridgraph.errors import HybridGraphError

        if ref is None:
            return ref
        try:
            ((info.context or {}).get("catalog") or Catalog.load()).resolve(ref)
        except HybridGraphError as exc:
            raise ValueError(f"{exc.message}; {exc.fix or ''}".rstrip("; ")) from None
        return ref


class KnowledgeSpec(_Strict):
    """What the steps judge against."""

    checklist: str = Field(
        default="builtin:procurement-checklist",
        description="a Markdown checklist (path relative to the pipeline file) or builtin:NAME",
    )


class When(_Strict):
    """An edge's condition: every field given must hold."""

    sensitivity: tuple[Sensitivity, ...] = Field(default=(), description="the document is at one of these levels")
    has: str | None = Field(default=None, description="this state field is set and not empty, e.g. findings")
    lacks: str | None = Field(default=None, description="this state field is missing or empty")


class EdgeSpec(_Strict):
    """From one step to another (or ``end``); edges from one step are tried in order, and the
    first whose ``when`` holds is taken (an edge without ``when`` always holds)."""

    source: str = Field(alias="from")
    to: str
    when: When | None = None


class StepSpec(_Strict):
    """One step: a registered agent and its configuration."""

    id: str = Field(pattern=_ID, description="the step's node name, unique in the pipeline")
    agent: str = Field(description="a registered agent (`hybridgraph agents` lists them)")
    description: str = ""
    config: dict[str, Any] = Field(default_factory=dict, alias="with", description="the agent's configuration")

    @field_validator("agent")
    @classmethod
    def _known_agent(cls, name: str) -> str:
        from hybridgraph.errors import ConfigError
        from hybridgraph.graphs.registry import resolve_agent

        try:
            resolve_agent(name)
        except ConfigError as exc:  # unknown (with "did you mean") or a plugin that does not load
            raise ValueError(f"{exc.message}; {exc.fix}") from None
        return name

    @field_validator("config")
    @classmethod
    def _valid_config(cls, config: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        from hybridgraph.graphs.registry import agents

        agent = agents().get(str(info.data.get("agent")))
        if agent is None:  # the agent's own error says why
            return config
        try:
            agent.Config.model_validate(config)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "with"
            message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
            allowed = ", ".join(agent.Config.model_fields) or "none"
            close = (
                difflib.get_close_matches(str(first["loc"][-1]), list(agent.Config.model_fields), n=1)
                if first["loc"]
                else []
            )
            hint = f"did you mean '{close[0]}'? " if close and first["type"] == "extra_forbidden" else ""
            raise ValueError(
                f"{where}: {message}; {hint}the settings of agent '{info.data['agent']}': {allowed}"
            ) from None
        return config


class PipelineSpec(_Strict):
    """A pipeline, as written in YAML."""

    schema_: str | None = Field(default=None, alias="$schema", description="the JSON Schema, for editors")
    name: str = Field(pattern=_ID)
    description: str = ""
    inputs: tuple[InputSpec, ...] = Field(default=(InputSpec(),), min_length=1, max_length=1)
    models: ModelsSpec = ModelsSpec()
    policy: str = Field(default="balanced", description="a preset (balanced, strict, cost-saver) or a policy file")
    knowledge: KnowledgeSpec = KnowledgeSpec()
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    pattern: Literal["sequence"] | None = Field(default=None, description="steps run in order (when no edges)")
    edges: tuple[EdgeSpec, ...] = ()
    outputs: tuple[Literal["markdown", "html", "json"], ...] = ("markdown", "html", "json")

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, ref: str, info: ValidationInfo) -> str:
        from hybridgraph.policies import PRESETS

        if ref in PRESETS:
            return ref
        path = _relative(ref, info)
        if not path.is_file():
            close = difflib.get_close_matches(ref, list(PRESETS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(f"'{ref}' is neither a policy preset nor a file; {hint}presets: {', '.join(PRESETS)}")
        return str(path)

    @field_validator("knowledge")
    @classmethod
    def _known_checklist(cls, knowledge: KnowledgeSpec, info: ValidationInfo) -> KnowledgeSpec:
        ref = knowledge.checklist
        if ref.startswith("builtin:"):
            from hybridgraph.tools.knowledge import BUILTIN

            if ref.removeprefix("builtin:") not in BUILTIN:
                raise ValueError(
                    f"no built-in checklist '{ref}'; shipped: {', '.join(f'builtin:{b}' for b in BUILTIN)}"
                )
            return knowledge
        path = _relative(ref, info)
        if not path.is_file():
            raise ValueError(f"the checklist file {ref} does not exist")
        from hybridgraph.tools.checklist import load_checklist

        try:  # its rules and their checks read (the error names file:line)
            load_checklist(str(path))
        except ConfigError as exc:
            raise ValueError(f"{exc.message}; {exc.fix}" if exc.fix else exc.message) from None
        return KnowledgeSpec(checklist=str(path))

    @model_validator(mode="after")
    def _connected(self) -> PipelineSpec:
        ids = [s.id for s in self.steps]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"step ids must be unique; repeated: {', '.join(doubles)}")
        if self.edges and self.pattern:
            raise ValueError("give either 'pattern' or 'edges', not both")
        for edge in self.edges:
            for end in (edge.source, edge.to):
                if end not in ids and end != END_STEP:
                    close = difflib.get_close_matches(end, ids, n=1)
                    hint = f" Did you mean '{close[0]}'?" if close else ""
                    raise ValueError(f"edge {edge.source} → {edge.to}: there is no step '{end}'.{hint}")
        return self

    def order(self) -> list[tuple[str, list[EdgeSpec]]]:
        """Each step with its outgoing edges (for ``sequence``: to the next step, the last to end)."""
        if self.edges:
            return [(s.id, [e for e in self.edges if e.source == s.id]) for s in self.steps]
        nexts = [s.id for s in self.steps[1:]] + [END_STEP]
        return [
            (s.id, [EdgeSpec.model_validate({"from": s.id, "to": n})]) for s, n in zip(self.steps, nexts, strict=True)
        ]


def _relative(ref: str, info: ValidationInfo) -> Path:
    """``ref`` as a path, relative to the pipeline file's folder (from the validation context)."""
    base = Path((info.context or {}).get("base", "."))
    path = Path(ref).expanduser()
    return (path if path.is_absolute() else base / path).resolve()
