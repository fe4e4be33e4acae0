"""What a hop knows about the run it belongs to: run id, pipeline, step, and the routing rule.

Kept in a context variable: LangGraph runs each node in a task that copies the context of the
run, so parallel branches see the same run and set their own step without touching each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

__all__ = ["RunContext", "current_run", "reset_run", "set_run", "using"]


@dataclass(frozen=True, slots=True)
class RunContext:
    """The run a hop belongs to; ``step`` and ``rule`` name the node and the rule that routed it."""

    run_id: str
    pipeline: str = ""
    step: str = ""
    rule: str = ""

    def with_(self, step: str | None = None, rule: str | None = None) -> RunContext:
        """A copy with another step or rule."""
        return RunContext(
            self.run_id, self.pipeline, self.step if step is None else step, self.rule if rule is None else rule
        )


_CURRENT: ContextVar[RunContext | None] = ContextVar("hybridgraph_run", default=None)


def current_run() -> RunContext | None:
    """The run context of the calling code, if it runs inside one."""
    return _CURRENT.get()


def set_run(context: RunContext | None) -> Token[RunContext | None]:
    """Make ``context`` current; returns the token for ``reset_run`` (the hot path of ``using``)."""
    return _CURRENT.set(context)


def reset_run(token: Token[RunContext | None]) -> None:
    """Undo ``set_run``."""
    _CURRENT.reset(token)


@contextmanager
def using(
    context: RunContext | None = None, *, step: str | None = None, rule: str | None = None
) -> Iterator[RunContext | None]:
    """Run the block with ``context`` (or the current one with another step or rule) as the current run."""
    base = context or current_run()
    new = base.with_(step, rule) if base is not None else None
    token = _CURRENT.set(new)
    try:
        yield new
    finally:
        _CURRENT.reset(token)
