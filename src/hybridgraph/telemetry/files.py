"""The embedded trace store: every run's spans as one local JSON file, readable without Jaeger.

``RunFileProcessor`` is an OpenTelemetry span processor. It keeps finished spans per trace and,
when a run's root span (``invoke_workflow``) ends, writes them to ``<dir>/<run id>.json``
(atomically: a reader never sees half a file), readable by its owner only (0600 in a 0700 folder:
spans can carry document-derived values). ``read_trace`` loads such a file back.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from hybridgraph.errors import InputError
from hybridgraph.owneronly import private_dir, write_private
from hybridgraph.telemetry.keys import Attr

__all__ = ["FORMAT", "RunFileProcessor", "read_trace", "span_record"]

FORMAT = "hybridgraph-trace/1"
#: Traces whose root has not ended yet are kept up to this many (the oldest are dropped).
MAX_OPEN_TRACES = 256


class RunFileProcessor(SpanProcessor):
    """Collects each trace's spans and writes the trace to ``folder`` when its run ends.

    Spans are only kept on the hot path; converting and writing happen on a background thread,
    which ``force_flush`` (and so ``TracerProvider.force_flush``) waits for.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._open: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, list[ReadableSpan]] | threading.Event | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self.written: deque[Path] = deque(maxlen=64)  # the latest files, for callers and tests

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do when a span starts."""

    def on_end(self, span: ReadableSpan) -> None:
        """Keep the span; hand the trace to the writer if this is a run's root span."""
        context = span.get_span_context()
        if context is None:
            return
        with self._lock:
            spans = self._open.setdefault(context.trace_id, [])
            spans.append(span)
            if len(self._open) > MAX_OPEN_TRACES:
                self._open.popitem(last=False)
            run_id = (span.attributes or {}).get(Attr.CONVERSATION_ID)
            if span.parent is not None or not run_id:
                return
            del self._open[context.trace_id]
            self._start_worker()
        self._queue.put((str(run_id), spans))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait until every ended run's file is written."""
        if self._worker is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_millis / 1000)

    def shutdown(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=30)
            self._worker = None

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="hybridgraph-trace-files", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
            else:
                self._write(*item)

    def _write(self, run_id: str, spans: list[ReadableSpan]) -> None:
        root = spans[-1]
        service = root.resource.attributes.get("service.name", "") if root.resource else ""
        document = {
            "format": FORMAT,
            "run_id": run_id,
            "trace_id": f"{root.get_span_context().trace_id:032x}",  # type: ignore[union-attr]
            "service": service,
            "spans": [span_record(s) for s in spans],
        }
        try:
            path = private_dir(self.folder) / f"{_safe_name(run_id)}.json"
            write_private(path, json.dumps(document).encode("utf-8"))
        except OSError:
            return  # tracing must never break a run; the OTLP export still has the spans
        self.written.append(path)


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """A span as plain JSON: ids in hex, times in nanoseconds since the epoch."""
    context = span.get_span_context()
    return {
        "name": span.name,
        "span_id": f"{context.span_id:016x}" if context else "",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "kind": span.kind.name,
        "start_ns": span.start_time or 0,
        "end_ns": span.end_time or 0,
        "status": span.status.status_code.name,
        "status_message": span.status.description or "",
        "attributes": {k: _plain(v) for k, v in (span.attributes or {}).items()},
        "events": [
            {
                "name": e.name,
                "time_ns": e.timestamp,
                "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
            }
            for e in span.events
        ],
    }


def read_trace(path: Path) -> dict[str, Any]:
    """A trace file written by ``RunFileProcessor``; ``InputError`` naming the problem otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no trace file at {path}", fix="pass a run id from `hybridgraph trace list`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path} is not a readable trace file ({type(exc).__name__})",
            fix="pass a file that a hybridgraph run wrote under its traces folder",
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("spans"), list)
    ):
        raise InputError(
            f"{path} is not a hybridgraph trace file (format {FORMAT} expected)", fix="pass a run's trace file"
        )
    return document


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _safe_name(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)[:120] or "run"
