"""Routing policies as data: ordered rules over step features, loaded from YAML.

A rule fires when every condition in its ``when`` holds (an empty ``when`` always holds); the
first rule that fires decides. ``default`` decides when none does. Conditions on a feature the
step does not know (no confidence yet, no verdict yet) do not hold.
"""

from __future__ import annotations

from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hybridgraph.errors import ConfigError
from hybridgraph.yamlconfig import load_yaml_model, validate_yaml_text
from hybridgraph.zones import Sensitivity

__all__ = ["PRESETS", "Action", "Condition", "Policy", "Rule", "Verdict"]

PRESETS = ("strict", "balanced", "cost-saver")


class Action(StrEnum):
    """Where a step goes."""

    LOCAL = "local"  # a local-zone endpoint, raw data allowed
    CLOUD_REDACTED = "cloud_redacted"  # a non-local endpoint, pseudonymised data only, behind the egress guard
    PARALLEL = "parallel"  # local and cloud (redacted) at once; the verifier cross-checks
    HUMAN = "human"  # stop for a person's approval or answer
    DENY = "deny"  # refuse the step
    KEEP = "keep"  # end the step with the answer in hand, marked needs_review (e.g. the cloud is down)
    QUEUE = "queue"  # park the (pseudonymised) escalation in the run's checkpoint until `hybridgraph resume`

    @property
    def leaves(self) -> bool:
        """Whether the action sends data to another zone."""
        return self in (Action.CLOUD_REDACTED, Action.PARALLEL)


class Verdict(StrEnum):
    """The verifier's verdict on an answer."""

    ACCEPT = "accept"
    ESCALATE = "escalate"
    NEEDS_HUMAN = "needs_human"


class Condition(BaseModel):
    """What must hold for a rule to fire. Thresholds: ``*_below`` is strict, ``*_at_least`` is not."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitivity: tuple[Sensitivity, ...] | None = Field(default=None, description="any of these levels")
    sensitivity_at_least: Sensitivity | None = None
    task: tuple[str, ...] | None = Field(default=None, description="any of these task types")
    complexity_at_least: float | None = Field(default=None, ge=0, le=1)
    complexity_below: float | None = Field(default=None, ge=0, le=1)
    tokens_at_least: int | None = Field(default=None, ge=0, description="estimated input tokens")
    tokens_below: int | None = Field(default=None, ge=0)
    retrieval_score_below: float | None = Field(default=None, description="best retrieval score")
    confidence_below: float | None = Field(default=None, ge=0, le=1, description="local answer's confidence")
    confidence_at_least: float | None = Field(default=None, ge=0, le=1)
    token_confidence_below: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="geometric mean probability of the local answer's tokens (backends that give logprobs)",
    )
    token_confidence_at_least: float | None = Field(default=None, ge=0, le=1)
    verdict: tuple[Verdict, ...] | None = Field(default=None, description="any of these verifier verdicts")
    attempt_at_least: int | None = Field(default=None, ge=0, description="escalations so far")
    attempt_below: int | None = Field(default=None, ge=1)
    budget_usd_below: float | None = Field(default=None, description="USD left (run or day, the lower)")
    tokens_left_below: int | None = Field(default=None, description="tokens left (run or day, the lower)")
    latency_budget_ms_below: float | None = Field(default=None, gt=0)
    reachable: tuple[str, ...] | None = Field(default=None, description="these endpoints are all reachable")
    unreachable: tuple[str, ...] | None = Field(default=None, description="any of these endpoints is not")
    approved: bool | None = Field(default=None, description="a person approved sending this step out")

    def fields(self) -> dict[str, Any]:
        """The conditions that are set."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Rule(BaseModel):
    """If ``when`` holds, do ``action`` (on ``endpoint``, else the policy's endpoint for it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    when: Condition = Condition()
    action: Action
    endpoint: str | None = Field(default=None, description="catalog endpoint; for parallel, the cloud one")
    max_tokens: int | None = Field(default=None, gt=0)
    reason: str = Field(default="", description="why, in words (shown in traces and run reports)")


class Policy(BaseModel):
    """A named, ordered rule list with the endpoints its actions use by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    local_endpoint: str = Field(default="local-smollm2", description="endpoint of local actions")
    cloud_endpoint: str = Field(default="cloud-gpt", description="endpoint of cloud_redacted and parallel")
    rules: tuple[Rule, ...] = ()
    default: Action | None = Field(default=None, description="the action when no rule fires")
    local_fallback: Literal["cloud", "human"] = Field(
        default="cloud",
        description="when the local endpoint is unreachable: public and internal data go to the cloud "
        "pseudonymised ('cloud'), or only after a person approves ('human'); confidential data always "
        "needs approval, and restricted data never leaves",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' is used twice; rule ids name decisions in traces")
            seen.add(rule.id)
        return self

    @classmethod
    def from_file(cls, path: Path | str) -> Policy:
        """A policy YAML file; errors carry file:line:column."""
        return load_yaml_model(path, cls)

    @classmethod
    def preset(cls, name: str) -> Policy:
        """A shipped preset: ``strict``, ``balanced`` or ``cost-saver``."""
        if name not in PRESETS:
            raise ConfigError(f"no policy preset '{name}'", fix=f"use one of: {', '.join(PRESETS)}, or a YAML file")
        text = files("hybridgraph.policies").joinpath("presets", f"{name}.yaml").read_text(encoding="utf-8")
        return validate_yaml_text(text, cls, source=f"hybridgraph/policies/presets/{name}.yaml")

    @classmethod
    def load(cls, ref: str | Path) -> Policy:
        """A preset name or a YAML file path."""
        return cls.preset(str(ref)) if str(ref) in PRESETS else cls.from_file(ref)

    def endpoints(self) -> set[str]:
        """Every endpoint the policy names."""
        return {self.local_endpoint, self.cloud_endpoint} | {r.endpoint for r in self.rules if r.endpoint}
