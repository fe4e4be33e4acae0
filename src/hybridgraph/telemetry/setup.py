"""Where spans go: an OpenTelemetry ``TracerProvider``, the OTLP exporter, and local trace files.

``Telemetry`` accepts a ``TracerProvider``. Without one it uses the global provider when the
application has set an SDK one, and otherwise creates its own, which it never installs as the
global provider. Its own provider exports with OTLP/HTTP to ``http://localhost:4318/v1/traces``
unless the standard variables say otherwise (``OTEL_EXPORTER_OTLP_*``, ``OTEL_SERVICE_NAME``,
``OTEL_TRACES_EXPORTER=none``; ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc`` needs the ``grpc`` extra).
When no collector listens there, export is skipped after a 0.2 s connection check instead of
retrying for seconds at the end of every short CLI run. Every run also writes its trace to
``<HYBRIDGRAPH_HOME>/traces/<run id>.json``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from hybridgraph.errors import DependencyMissingError
from hybridgraph.home import DataHome
from hybridgraph.telemetry.files import RunFileProcessor

__all__ = ["DEFAULT_OTLP_ENDPOINT", "ReachableExporter", "Telemetry", "active_telemetry", "default_telemetry"]

DEFAULT_OTLP_ENDPOINT = "http://localhost:4318/v1/traces"
#: Background flushes after runs are at least this far apart.
FLUSH_INTERVAL_S = 0.5
_log = logging.getLogger("hybridgraph.telemetry")


class Telemetry:
    """A tracer, the provider behind it, and the run-file processor (``trace_dir``)."""

    def __init__(
        self,
        provider: trace.TracerProvider | None = None,
        *,
        trace_dir: Path | None = None,
        exporter: SpanExporter | None = None,
    ) -> None:
        global_provider = trace.get_tracer_provider()
        self.owned = provider is None and not isinstance(global_provider, TracerProvider)
        if provider is None:
            provider = _own_provider(exporter) if self.owned else global_provider
        self.provider = provider
        self.files: RunFileProcessor | None = None
        if isinstance(provider, TracerProvider):  # an SDK provider: it can take our processor
            self.files = RunFileProcessor(trace_dir or DataHome.from_env().traces)
            provider.add_span_processor(self.files)
        from hybridgraph import __version__

        self.tracer = provider.get_tracer("hybridgraph", __version__)
        self._flush_wanted = threading.Event()
        self._flush_lock = threading.Lock()
        self._flusher: threading.Thread | None = None

    def flush(self, timeout_ms: int = 5000) -> bool:
        """Export what is buffered and write pending trace files; wait until done."""
        flush = getattr(self.provider, "force_flush", None)
        return bool(flush(timeout_ms)) if flush is not None else True

    def end_run(self) -> None:
        """Flush after a run without holding the run up: a background thread calls ``flush``,
        at most every ``FLUSH_INTERVAL_S`` (runs that end closer together share one export).
        At exit, the SDK provider's shutdown (and ``shutdown`` here) finish what is pending."""
        with self._flush_lock:
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_forever, name="hybridgraph-flush", daemon=True)
                self._flusher.start()
        self._flush_wanted.set()

    def _flush_forever(self) -> None:
        while True:
            self._flush_wanted.wait()
            self._flush_wanted.clear()
            started = time.monotonic()
            self.flush()
            time.sleep(max(0.0, FLUSH_INTERVAL_S - (time.monotonic() - started)))

    def shutdown(self) -> None:
        """Flush, and stop the provider if this object created it."""
        if self.owned and isinstance(self.provider, TracerProvider):
            self.provider.shutdown()
        else:
            self.flush()


class ReachableExporter(SpanExporter):
    """Exports through ``inner`` only while something accepts connections at ``endpoint``.

    The check (a TCP connect of at most ``timeout_s``) is repeated every ``recheck_s`` seconds,
    so a collector started later is picked up.
    """

    def __init__(self, inner: SpanExporter, endpoint: str, timeout_s: float = 0.2, recheck_s: float = 30.0) -> None:
        parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        self.inner, self.address = inner, (parts.hostname or "localhost", parts.port or _default_port(parts.scheme))
        self.timeout_s, self.recheck_s = timeout_s, recheck_s
        self._checked, self._up = 0.0, False
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Hand the spans on, or drop them when the collector is down."""
        if not self.reachable():
            return SpanExportResult.FAILURE
        return self.inner.export(spans)

    def reachable(self) -> bool:
        """Whether the collector accepted a connection at the last check."""
        with self._lock:
            if time.monotonic() - self._checked > self.recheck_s:
                self._checked, was = time.monotonic(), self._up
                try:
                    socket.create_connection(self.address, timeout=self.timeout_s).close()
                    self._up = True
                except OSError:
                    self._up = False
                if was != self._up or not self._up:
                    _log.debug(
                        "OTLP collector at %s:%s %s", *self.address, "reachable" if self._up else "not reachable"
                    )
            return self._up

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the wrapped exporter."""
        return self.inner.force_flush(timeout_millis)


def _own_provider(exporter: SpanExporter | None) -> TracerProvider:
    service = os.environ.get("OTEL_SERVICE_NAME") or "hybridgraph"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = exporter or _otlp_exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _otlp_exporter() -> SpanExporter | None:
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() in ("none", ""):
        return None
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    if (protocol or "http/protobuf").strip().lower() == "grpc":
        return _grpc_exporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not endpoint:
        base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        endpoint = f"{base.rstrip('/')}/v1/traces" if base else DEFAULT_OTLP_ENDPOINT
    return ReachableExporter(OTLPSpanExporter(endpoint=endpoint), endpoint)


def _grpc_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise DependencyMissingError(
            "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the gRPC OTLP exporter",
            fix="pip install 'hybridgraph[grpc]', or unset it to export over HTTP",
        ) from None
    endpoint = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or "http://localhost:4317"
    )
    return ReachableExporter(OTLPSpanExporter(), endpoint)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


_DEFAULT: Telemetry | None = None
_DEFAULT_LOCK = threading.Lock()
_ACTIVE: ContextVar[Telemetry | None] = ContextVar("hybridgraph_telemetry", default=None)


def default_telemetry() -> Telemetry:
    """The process's telemetry, created on first use (see the module docstring)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Telemetry()
        return _DEFAULT


def active_telemetry() -> Telemetry:
    """The telemetry of the run the caller is in, else the process's."""
    return _ACTIVE.get() or default_telemetry()


def activate(telemetry: Telemetry) -> object:
    """Make ``telemetry`` the active one in this context; returns the token for ``deactivate``."""
    return _ACTIVE.set(telemetry)


def deactivate(token: object) -> None:
    """Undo ``activate``."""
    _ACTIVE.reset(token)  # type: ignore[arg-type]
