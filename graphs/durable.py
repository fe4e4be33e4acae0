"""Durable runs: start a pattern run that survives a crash, a pause for approval or an offline
cloud, and continue it from another process.

A ``Recipe`` says how to build the run's graph (pattern, task, policy, endpoints), so a later
process can rebuild the same graph; the graph's state lives in the encrypted SQLite checkpoints
(``open_checkpointer``), the vault of real values in the encrypted ``VaultStore``, and where
the run stands in the ``RunIndex``. Every step that completed is in a checkpoint, so continuing
a killed run repeats no completed model call.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from langgraph.errors import EmptyInputError

from hybridgraph.catalog import Catalog
from hybridgraph.errors import ConfigError, HybridGraphError
from hybridgraph.recipe import Recipe
from hybridgraph.runs import RunIndex, RunRecord, RunState

__all__ = ["Outcome", "Recipe", "approve_run", "resume_run", "start_run"]


@dataclass
class Outcome:
    """Where a run stands after this process worked on it: its result, or what it waits for."""

    run_id: str
    state: RunState
    result: dict[str, Any] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)


async def start_run(
    recipe: Recipe,
    document: str,
    input_name: str,
    *,
    run_id: str | None = None,
    index: RunIndex | None = None,
    catalog: Catalog | None = None,
) -> Outcome:
    """Run ``recipe`` on ``document`` from the start, durably."""
    run_id = run_id or uuid.uuid4().hex[:16]
    index = index or RunIndex()
    catalog = catalog or recipe.load_catalog()
    reachable = await _reachable(recipe, catalog)  # also checks the recipe's endpoints before anything is recorded
    index.start(run_id, recipe.pattern, input_name, recipe.model_dump(mode="json"))
    return await _drive(run_id, {"document": document, "run_id": run_id, "reachable": reachable}, index, catalog)


async def resume_run(run_id: str, *, index: RunIndex | None = None, catalog: Catalog | None = None) -> Outcome:
    """Finish an interrupted or failed run from its last checkpoint, or send a queued escalation
    once its endpoint is reachable."""
    from langgraph.types import Command

    index = index or RunIndex()
    record = index.get(run_id)
    if record.state is RunState.DONE:
        raise ConfigError(f"run {run_id} is done; there is nothing to resume", fix="see it with: hybridgraph runs")
    if record.state is RunState.WAITING:
        raise ConfigError(
            f"run {run_id} waits for a person's decision",
            fix=f"decide with: hybridgraph approve {run_id} (or --deny)",
        )
    if record.state is RunState.RUNNING:
        raise ConfigError(
            f"run {run_id} is still running in process {record.pid}",
            fix="wait for it to finish; if that process is stuck, stop it, then resume",
        )
    catalog = catalog or Recipe.model_validate(record.recipe).load_catalog()
    if record.state is RunState.QUEUED:
        await _require_reachable(record, catalog)
        return await _drive(run_id, Command(resume={"retry": True}), index, catalog)
    if record.state is RunState.FAILED:
        await _retry_ended(record, catalog)
    return await _drive(run_id, None, index, catalog)


async def _retry_ended(record: RunRecord, catalog: Catalog) -> None:
    """A run that ended ``failed`` (no endpoint could do a step) goes back to the policy with the
    endpoints reachable now, as if its step had been queued; its completed steps stay done."""
    from langgraph.types import Command

    from hybridgraph.graphs.checkpoints import open_checkpointer
    from hybridgraph.state import NodeName

    recipe = Recipe.model_validate(record.recipe)
    async with open_checkpointer() as saver:
        graph, _ = recipe.build(saver, catalog)
        config = {"configurable": {"thread_id": record.run_id}}
        snapshot = await graph.aget_state(config)
        if not snapshot.values or snapshot.next:  # no state yet (see _drive), or it stopped inside a step
            return
        reachable = await _reachable(recipe, catalog)
        if not reachable:
            raise ConfigError(
                f"run {record.run_id} still has no usable endpoint",
                fix="start the model servers (see `hybridgraph models`), then resume again",
            )
        update = {"reachable": reachable, "fault": None, "human": {"retry": True}}
        # as the queue would have answered: its update, and on to the policy (the queue routes by Command)
        await graph.aupdate_state(config, Command(update=update, goto=str(NodeName.ROUTE)), as_node=NodeName.QUEUE)


async def approve_run(
    run_id: str,
    *,
    approved: bool,
    comment: str = "",
    answer: str | None = None,
    step: str | None = None,
    index: RunIndex | None = None,
    catalog: Catalog | None = None,
) -> Outcome:
    """Answer a run that waits for a person: approve (the policy decides again, with approval),
    deny, or give the answer itself."""
    from langgraph.types import Command

    index = index or RunIndex()
    record = index.get(run_id)
    if record.state is not RunState.WAITING:
        raise ConfigError(
            f"run {run_id} is {record.state.value.replace('_', ' ')}, not waiting for approval",
            fix="list the runs that wait with: hybridgraph runs",
        )
    reply: dict[str, Any] = {"approved": approved, "comment": comment}
    if answer:
        reply["answer"] = answer
    pending = await _pending(record, catalog or Recipe.model_validate(record.recipe).load_catalog())
    chosen = [p for p in pending if step is None or p["step"] == step]
    if not chosen:
        steps = ", ".join(sorted({p["step"] for p in pending})) or "none"
        raise ConfigError(f"run {run_id} has no pending step '{step}'", fix=f"choose one of: {steps}")
    return await _drive(run_id, Command(resume={p["id"]: reply for p in chosen}), index, catalog)


async def _drive(run_id: str, graph_input: Any, index: RunIndex, catalog: Catalog | None) -> Outcome:
    from hybridgraph.graphs.checkpoints import open_checkpointer
    from hybridgraph.telemetry import workflow

    record = index.get(run_id)
    recipe = Recipe.model_validate(record.recipe)
    index.claim(record)
    config = {"configurable": {"thread_id": run_id}}
    try:
        async with open_checkpointer() as saver:
            graph, _ = recipe.build(saver, catalog or recipe.load_catalog())
            with workflow(record.pipeline, run_id=run_id):
                # "sync": each step's checkpoint is on disk before the next step starts, so a run
                # killed at any moment never repeats a finished model call when it resumes
                result: dict[str, Any] = await graph.ainvoke(graph_input, config, durability="sync")
    except EmptyInputError:  # killed before its first checkpoint: there is no state to go on from
        detail = "it stopped before its first step"
        index.update(run_id, RunState.FAILED, detail)
        raise ConfigError(f"run {run_id} {detail}, so there is nothing to resume", fix="start it again") from None
    except HybridGraphError as exc:
        index.update(run_id, RunState.FAILED, exc.message)
        raise
    except (KeyboardInterrupt, SystemExit, asyncio.CancelledError):  # Ctrl-C arrives as a cancellation
        index.update(run_id, RunState.INTERRUPTED, "stopped by the user")
        raise
    except Exception as exc:
        index.update(run_id, RunState.FAILED, f"unexpected {type(exc).__name__}")
        raise
    return _outcome(run_id, result, index)


def _outcome(run_id: str, result: dict[str, Any], index: RunIndex) -> Outcome:
    interrupts = result.get("__interrupt__") or []
    if not interrupts:
        status = str(result.get("status", ""))
        state = RunState.FAILED if status == "failed" else RunState.DONE
        index.update(
            run_id, state, str(result.get("route", {}).get("reason", "")) if state is RunState.FAILED else status
        )
        return Outcome(run_id, state, result=result)
    pending = [{"id": i.id, **i.value} for i in interrupts]
    queued = all(p.get("kind") == "queued" for p in pending)
    state = RunState.QUEUED if queued else RunState.WAITING
    index.update(run_id, state, str(pending[0].get("reason") or ""))
    return Outcome(run_id, state, result=result, pending=pending)


async def _pending(record: RunRecord, catalog: Catalog) -> list[dict[str, Any]]:
    from hybridgraph.graphs.checkpoints import open_checkpointer

    async with open_checkpointer() as saver:
        graph, _ = Recipe.model_validate(record.recipe).build(saver, catalog)
        snapshot = await graph.aget_state({"configurable": {"thread_id": record.run_id}})
    return [{"id": i.id, "step": task.name, **i.value} for task in snapshot.tasks for i in task.interrupts]


async def _reachable(recipe: Recipe, catalog: Catalog) -> list[str]:
    from hybridgraph.models.availability import check_all

    names = recipe.endpoints()
    ready = await check_all([catalog.resolve(n) for n in names])
    return [name for name, availability in zip(names, ready, strict=True) if availability.ready]


async def _require_reachable(record: RunRecord, catalog: Catalog) -> None:
    from hybridgraph.models.availability import check_endpoint

    for pending in await _pending(record, catalog):
        name = pending.get("waits_for")
        if not name:
            continue
        availability = await check_endpoint(catalog.resolve(str(name)))
        if not availability.ready:
            raise ConfigError(
                f"run {record.run_id} waits for '{name}', which is still not usable: {availability.detail}",
                fix=availability.fix or "try again once it is reachable",
            )
