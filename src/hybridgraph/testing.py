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

__all__ = ["CountedRuns", "fake_clients", "fake_models", "fake_pipeline"]


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


class CountedRuns:
    """``pipeline`` with its runs counted: ``now`` in progress, ``peak`` at most at once (a batch's
    ``--concurrency`` bound); ``after_run`` is called as each run ends. Everything else is the
    pipeline's own."""

    def __init__(self, pipeline: Pipeline, after_run: Callable[[], object] | None = None) -> None:
        self.pipeline, self.after_run = pipeline, after_run
        self.now = self.peak = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)

    async def run(self, document: str | Path, **options: Any) -> Any:
        """The pipeline's ``run``, counted."""
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            return await self.pipeline.run(document, **options)
        finally:
            self.now -= 1
            if self.after_run is not None:
                self.after_run()


try:  # the fixture needs pytest, which only test environments have
    import pytest
except ImportError:  # pragma: no cover
    pass
else:

    @pytest.fixture
    def fake_models() -> Callable[..., list[ModelClient]]:
        """``fake_clients`` as a fixture (import it into your conftest): ``fake_models(local=fn, cloud=fn)``."""
        return fake_clients
