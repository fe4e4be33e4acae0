"""The economics of a run: tokens and cost per zone, the share of model steps kept local, and
what the same tokens would have cost on the cloud endpoint (the counterfactual)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hybridgraph.catalog import Endpoint
from hybridgraph.state import ModelUse
from hybridgraph.telemetry.audit import AuditLog

__all__ = ["Budget", "economics", "price_usd"]


@dataclass(frozen=True)
class Budget:
    """Limits per run and per day (``None``: no limit). When one is spent, the policy's budget
    guard keeps further steps local, and the run result says so. Day limits count every model
    call of the current UTC day in ``audit`` (the audit log the clients write to)."""

    run_usd: float | None = None
    run_tokens: int | None = None
    day_usd: float | None = None
    day_tokens: int | None = None
    audit: AuditLog | None = None

    def day_left(self) -> tuple[float | None, int | None]:
        """USD and tokens left today."""
        if self.day_usd is None and self.day_tokens is None:
            return None, None
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        usd, tokens = (self.audit or AuditLog.default()).spent_since(today)
        return (
            None if self.day_usd is None else self.day_usd - usd,
            None if self.day_tokens is None else self.day_tokens - tokens,
        )

    def left(self, uses: Sequence[ModelUse]) -> tuple[float | None, int | None]:
        """USD and tokens left after ``uses``."""
        spent_usd = sum(u["cost_usd"] for u in uses)
        spent_tokens = sum(u["input_tokens"] + u["output_tokens"] for u in uses)
        usd = None if self.run_usd is None else self.run_usd - spent_usd
        tokens = None if self.run_tokens is None else self.run_tokens - spent_tokens
        return usd, tokens


def economics(uses: Sequence[ModelUse], cloud: Endpoint | None, budget: Budget | None = None) -> dict[str, Any]:
    """The run's accounting (plain JSON)."""
    zones: dict[str, dict[str, float]] = {}
    for use in uses:
        zone = zones.setdefault(use["zone"], {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        zone["calls"] += 1
        zone["input_tokens"] += use["input_tokens"]
        zone["output_tokens"] += use["output_tokens"]
        zone["cost_usd"] += use["cost_usd"]
    cost = sum(u["cost_usd"] for u in uses)
    counterfactual = sum(price_usd(cloud, u["input_tokens"], u["output_tokens"]) for u in uses) if cloud else None
    local = sum(1 for u in uses if u["zone"] == "local")
    usd_left, tokens_left = (budget or Budget()).left(uses)
    day_usd, day_tokens = (budget or Budget()).day_left()
    return {
        "zones": zones,
        "model_steps": len(uses),
        "local_share": local / len(uses) if uses else 1.0,
        "cost_usd": cost,
        "counterfactual_usd": counterfactual,
        "counterfactual_endpoint": cloud.name if cloud else None,
        "saved_usd": None if counterfactual is None else counterfactual - cost,
        "budget_exhausted": any(
            left is not None and left <= 0 for left in (usd_left, tokens_left, day_usd, day_tokens)
        ),
    }


def price_usd(endpoint: Endpoint, input_tokens: int, output_tokens: int) -> float:
    """What ``endpoint`` charges for these tokens: the catalog's prices, else LiteLLM's price map."""
    if endpoint.has_price:
        return endpoint.cost_usd(input_tokens, output_tokens)
    from hybridgraph.models.litellm import import_litellm

    try:
        prompt, completion = import_litellm().cost_per_token(
            model=endpoint.spec.model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:  # noqa: BLE001 - a model LiteLLM does not price: no counterfactual cost
        return 0.0
    return float(prompt + completion)
