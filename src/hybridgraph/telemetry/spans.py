"""Spans for the hops of a run: the run itself, agent nodes, routing decisions and tools.

Spans are started inside the hop's own coroutine, so async and parallel nodes nest under the
run's span in one trace. Errors are recorded by type, with hybridgraph's own messages (which
never quote content) and nothing else: another library's message may quote a document.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from hybridgraph.errors import HybridGraphError
from hybridgraph.telemetry.context import RunContext, current_run, reset_run, set_run, using
from hybridgraph.telemetry.keys import Attr, Op, span_name
from hybridgraph.telemetry.setup import Telemetry, activate, active_telemetry, deactivate

__all__ = [
    "NodeCall",
    "TracedNode",
    "enter",
    "hop",
    "leave",
    "tool_span",
    "mark_error",
    "record_route",
    "safe_message",
    "workflow",
]


@contextmanager
def workflow(pipeline: str, run_id: str | None = None, telemetry: Telemetry | None = None) -> Iterator[RunContext]:
    """The ``invoke_workflow`` span of one run; everything inside is part of its trace.

    When the block ends, a background thread flushes the run's spans (OTLP export and the
    local trace file) without holding the caller up; ``telemetry.flush()`` waits for that, and
    the provider's shutdown at exit finishes it, so short CLI runs lose nothing.
    """
    telemetry = telemetry or active_telemetry()
    context = RunContext(run_id=run_id or uuid.uuid4().hex, pipeline=pipeline)
    token = activate(telemetry)
    try:
        with (
            using(context),
            hop(Op.WORKFLOW, pipeline, {Attr.CONVERSATION_ID: context.run_id, Attr.PIPELINE: pipeline}),
        ):
            yield context
    finally:
        deactivate(token)
        telemetry.end_run()


@contextmanager
def hop(
    op: Op, subject: str, attributes: Mapping[str, AttributeValue] | None = None, kind: SpanKind = SpanKind.INTERNAL
) -> Iterator[Span]:
    """A span named ``"<op> <subject>"`` around the block, marked as an error if the block raises."""
    attrs: dict[str, AttributeValue] = {Attr.OPERATION: op.value, **(attributes or {})}
    span, token = enter(span_name(op, subject), attrs, kind, run_attribute=op is not Op.WORKFLOW)
    try:
        yield span
    except BaseException as exc:
        mark_error(span, exc)
        raise
    finally:
        leave(span, token)


def enter(
    name: str, attributes: dict[str, AttributeValue], kind: SpanKind = SpanKind.INTERNAL, *, run_attribute: bool = True
) -> tuple[Span, object]:
    """Start a span and make it current (the cheap path for hot hops); undo with ``leave``.
    ``run_attribute`` adds the run id of the current run, if any, to ``attributes``."""
    run = current_run()
    if run_attribute and run is not None:
        attributes[Attr.CONVERSATION_ID] = run.run_id
    span = active_telemetry().tracer.start_span(name, kind=kind, attributes=attributes)
    return span, otel_context.attach(trace.set_span_in_context(span))


def leave(span: Span, token: object) -> None:
    """End a span started with ``enter`` and restore the context before it."""
    otel_context.detach(token)  # type: ignore[arg-type]
    span.end()


def tool_span(tool: str, attributes: Mapping[str, AttributeValue] | None = None) -> AbstractContextManager[Span]:
    """An ``execute_tool <tool>`` span around the block (attributes must not quote content)."""
    return hop(Op.TOOL, tool, {Attr.TOOL_NAME: tool, **(attributes or {})})


def record_route(
    step: str, target: str, *, model: str = "", zone: str = "", rule: str = "", reason: str = "", skipped: str = ""
) -> None:
    """A ``route <step>`` span for one policy decision (``reason`` must not quote content);
    ``skipped`` is the rule whose escalation a guard stopped."""
    attrs = {Attr.ROUTE_TARGET: target, Attr.ROUTE_MODEL: model, Attr.ROUTE_ZONE: zone, Attr.ROUTE_RULE: rule}
    attrs |= {Attr.ROUTE_REASON: reason, Attr.ROUTE_SKIPPED: skipped}
    with hop(Op.ROUTE, step, {k: v for k, v in attrs.items() if v}):
        pass


def mark_error(span: Span, exc: BaseException) -> None:
    """Set the span's status to error with the exception's type and a content-free message."""
    message = safe_message(exc)
    span.set_attribute(Attr.ERROR_TYPE, type(exc).__name__)
    span.add_event("exception", {"exception.type": type(exc).__name__, "exception.message": message})
    span.set_status(Status(StatusCode.ERROR, message))


def safe_message(exc: BaseException) -> str:
    """hybridgraph's own message (never content); for other exceptions, only the type."""
    if isinstance(exc, HybridGraphError):
        return exc.message
    return f"{type(exc).__name__} (message withheld: it may quote content)"


class NodeCall:
    """A LangGraph node function made uniform: called with ``config`` when it takes one, and
    awaited when it is async."""

    def __init__(self, node: Callable[..., Any]) -> None:
        self.node = node
        self.takes_config = "config" in inspect.signature(node).parameters

    async def __call__(self, state: Any, config: Optional[RunnableConfig] = None) -> Any:  # noqa: UP045
        """The node's result for ``state``."""
        result = self.node(state, config) if self.takes_config else self.node(state)
        return await result if inspect.isawaitable(result) else result


class TracedNode:
    """A LangGraph node wrapped in an ``invoke_agent <name>`` span (or another ``op``).

    The wrapped node may be sync or async and may take ``config``; the run context's ``step``
    is the node's name while it runs, so model calls inside are attributed to it.
    """

    def __init__(self, name: str, node: Callable[..., Any], op: Op = Op.AGENT) -> None:
        self.name, self._call = name, NodeCall(node)
        self._span_name = span_name(op, name)
        key = Attr.AGENT_NAME if op is Op.AGENT else Attr.TOOL_NAME
        self._attributes: dict[str, AttributeValue] = {Attr.OPERATION: op.value, key: name, Attr.STEP: name}

    async def __call__(self, state: Any, config: Optional[RunnableConfig] = None) -> Any:  # noqa: UP045
        """Run the node inside its span."""
        run = current_run()
        step = set_run(run.with_(step=self.name)) if run is not None else None
        span, token = enter(self._span_name, dict(self._attributes))
        try:
            result = await self._call(state, config)
        except BaseException as exc:
            mark_error(span, exc)
            raise
        finally:
            leave(span, token)
            if step is not None:
                reset_run(step)
        return result
