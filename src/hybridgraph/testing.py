"""Test your pipelines and agents without servers: programmable fake models in place of the
policy's endpoints, the cloud one behind the real egress guard.

    from hybridgraph.testing import fake_pipeline

    def test_my_review():
        pipeline = fake_pipeline("my-review.yaml", local=lambda request: '{"status": "compliant", ...}')
        result = pipeline.run_sync("Supplier shall ...")
        assert result.report.findings[0].status == "compliant"

``local`` and ``cloud`` take a ``ChatRequest`` and return the answer text (sync or async), as
``FunctionModel`` does; ``result.state`` and the clients' ``calls`` show what each model saw.
The ``fake_models`` pytest fixture gives the same from a test's arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hybridgraph.catalog import Endpoint
from hybridgraph.graphs.pipeline import Pipeline
from hybridgraph.models import EgressGuard, FunctionModel, ModelClient
from hybridgraph.models.function import ReplyFn
from hybridgraph.zones import TrustZone

__all__ = ["fake_clients", "fake_models", "fake_pipeline"]


def fake_clients(local: ReplyFn, cloud: ReplyFn | None = None, *, scanner: Any = None) -> list[ModelClient]:
    """A local ``FunctionModel`` named ``local`` and, with ``cloud``, a public one named ``cloud``
    behind the egress guard (``scanner``: a PII detector's ``detect``; Presidio by default)."""
    clients: list[ModelClient] = [FunctionModel(local, endpoint=Endpoint(name="local", model="function:local"))]
    if cloud is not None:
        if scanner is None:
            from hybridgraph.tools.pii.detector import shared_detector

            scanner = shared_detector().detect
        endpoint = Endpoint(name="cloud", model="function:cloud", zone=TrustZone.PUBLIC)
        clients.append(EgressGuard(FunctionModel(cloud, endpoint=endpoint), scanner=scanner))
    return clients


def fake_pipeline(ref: str | Path, local: ReplyFn, cloud: ReplyFn | None = None, **options: Any) -> Pipeline:
    """Pipeline ``ref`` (a shipped name or a YAML file) on fake models (see ``fake_clients``)."""
    scanner = options.pop("scanner", None)
    return Pipeline.load(ref, clients=fake_clients(local, cloud, scanner=scanner), **options)


try:  # the fixture needs pytest, which only test environments have
    import pytest
except ImportError:  # pragma: no cover
    pass
else:

    @pytest.fixture
    def fake_models() -> Callable[..., list[ModelClient]]:
        """``fake_clients`` as a fixture (import it into your conftest): ``fake_models(local=fn, cloud=fn)``."""
        return fake_clients
