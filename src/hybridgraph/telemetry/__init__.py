"""Telemetry: OpenTelemetry spans for every hop, local trace files, and the audit log.

Span names and attribute keys are in ``keys``; the provider and exporters in ``setup``; the
run's spans (``workflow``, ``TracedNode``, ``record_route``, ``hop``) in ``spans``; the
MAC-chained audit log in ``audit`` (checked by ``audit_verify``). The model-call span is added by
``hybridgraph.models.InstrumentedModel``, the audit entry by ``AuditedModel``.
"""

from __future__ import annotations

from hybridgraph.telemetry.audit import AuditEntry, AuditLog, AuditRecord
from hybridgraph.telemetry.audit_verify import Verification, verify_log
from hybridgraph.telemetry.context import RunContext, current_run, using
from hybridgraph.telemetry.files import read_trace
from hybridgraph.telemetry.keys import Attr, Op, span_name
from hybridgraph.telemetry.setup import Telemetry, active_telemetry, default_telemetry
from hybridgraph.telemetry.spans import TracedNode, hop, mark_error, record_route, safe_message, workflow

__all__ = [
    "Attr",
    "AuditEntry",
    "AuditLog",
    "AuditRecord",
    "Op",
    "RunContext",
    "Telemetry",
    "TracedNode",
    "Verification",
    "active_telemetry",
    "current_run",
    "default_telemetry",
    "hop",
    "mark_error",
    "read_trace",
    "record_route",
    "safe_message",
    "span_name",
    "using",
    "verify_log",
    "workflow",
]
