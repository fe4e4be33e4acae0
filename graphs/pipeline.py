"""``Pipeline``: a pipeline spec (YAML or code) compiled into a LangGraph graph, and run.

    pipeline = Pipeline.load("contract-review")          # shipped name, or a YAML path
    result = pipeline.run_sync(Path("contract.pdf"))     # or: await pipeline.run(...)
    pipeline.write_reports(result, Path("reports"))
    async for step, update in pipeline.stream(text): ... # node updates as they happen
    pipeline.graph                                       # the compiled LangGraph graph

Every step is a registered agent (``graphs/registry``) built once, with the pipeline's
``BuildContext``: the model clients of the policy's endpoints (or the ``models:`` the spec
names; tests pass ``FunctionModel`` clients instead), the routing policy, one redactor (one
vault per run) and the checklist. A run is one trace (``invoke_workflow <name>``). Before a run
the endpoints are probed, so steps know which are reachable, and a cloud endpoint that is not
configured is named in the report rather than failing the run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hybridgraph.agents.base import BuildContext
from hybridgraph.catalog import Catalog
from hybridgraph.errors import ConfigError
from hybridgraph.graphs.spec import END_STEP, EdgeSpec, PipelineSpec, StepSpec, When
from hybridgraph.models.base import ModelClient
from hybridgraph.tools.reports import Report
from hybridgraph.zones import TrustZone

__all__ = ["SHIPPED", "Pipeline", "PipelineResult", "input_sha256", "shipped_pipelines"]

SHIPPED = Path(__file__).resolve().parent / "pipelines"
#: The first and last steps of a served graph (``Pipeline.served``).
INTAKE, RELEASE = "intake", "release"
#: How long a probe of the endpoints holds (seconds).
PROBE_EVERY_S = 60.0


def shipped_pipelines() -> dict[str, Path]:
    """The pipelines that come with hybridgraph, by name."""
    return {p.stem: p for p in sorted(SHIPPED.glob("*.yaml"))}


@dataclass
class PipelineResult:
    """A finished run: its id, final state and report (real values restored; stays local)."""

    run_id: str
    source: str
    state: dict[str, Any] = field(default_factory=dict)
    input_sha256: str = ""  # of the input file's bytes; "" for a text
    pipeline_sha256: str = ""  # ``Pipeline.fingerprint``

    @cached_property
    def report(self) -> Report | None:
        """The run's report, when the pipeline has a reporter step."""
        data = self.state.get("report")
        if not data:
            return None
        return Report.model_validate(
            {**data, "input_sha256": self.input_sha256, "pipeline_sha256": self.pipeline_sha256}
        )

    @property
    def status(self) -> str:
        """The run's status (``accepted``, ``needs_review``, ...)."""
        return str(self.state.get("status", ""))


class Pipeline:
    """A runnable pipeline (see the module docstring)."""

    def __init__(
        self,
        spec: PipelineSpec,
        *,
        clients: Sequence[ModelClient] | None = None,
        catalog: Catalog | None = None,
        budget: Any = None,
        redactor: Any = None,
    ) -> None:
        """``clients`` replace the policy's endpoints (e.g. ``FunctionModel``s in tests; see
        ``hybridgraph.testing``); ``redactor`` a ``RedactorAgent`` with another detector."""
        self.spec, self._clients, self._catalog, self._budget = spec, clients, catalog, budget
        self._redactor = redactor
        self._probe_lock = asyncio.Lock()
        self._probed: tuple[float, list[str]] | None = None

    @classmethod
    def from_yaml(cls, path: Path | str, **options: Any) -> Pipeline:
        """Load and validate a pipeline file (errors give file:line:column)."""
        from hybridgraph.yamlconfig import load_yaml_model

        path = Path(path)
        context = {"base": str(path.resolve().parent), "catalog": options.get("catalog")}
        return cls(load_yaml_model(path, PipelineSpec, context=context), **options)

    @classmethod
    def load(cls, ref: str | Path, **options: Any) -> Pipeline:
        """A shipped pipeline by name, or a pipeline file."""
        shipped = shipped_pipelines()
        if str(ref) in shipped:
            return cls.from_yaml(shipped[str(ref)], **options)
        if Path(ref).suffix.lower() in (".yaml", ".yml") or Path(ref).exists():
            return cls.from_yaml(ref, **options)
        import difflib

        close = difflib.get_close_matches(str(ref), list(shipped), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown pipeline '{ref}'", fix=f"{hint}shipped: {', '.join(shipped)}; or pass a YAML file")

    @classmethod
    def compose(
        cls, name: str, steps: Sequence[StepSpec | tuple[str, str] | tuple[str, str, dict[str, Any]]], **fields: Any
    ) -> Pipeline:
        """A pipeline in code: ``steps`` are ``StepSpec``s or ``(id, agent[, with])`` tuples; other
        spec fields (``policy``, ``models``, ``edges``, ...) as keywords, as in YAML."""
        options = {k: fields.pop(k) for k in ("clients", "catalog", "budget", "redactor") if k in fields}
        rows = [
            s if isinstance(s, StepSpec) else {"id": s[0], "agent": s[1], "with": s[2] if len(s) > 2 else {}}
            for s in steps
        ]
        return cls(PipelineSpec.model_validate({"name": name, "steps": rows, **fields}), **options)

    @cached_property
    def context(self) -> BuildContext:
        """What every step shares: clients, policy, redactor, checklist."""
        from hybridgraph.agents.redactor import RedactorAgent
        from hybridgraph.graphs.economics import Budget
        from hybridgraph.models import open_model
        from hybridgraph.policies import Policy, RulePolicy

        catalog = self._catalog or Catalog.load()
        policy = _with_endpoints(
            Policy.load(self.spec.policy), self.spec.models.local, self.spec.models.cloud, self._clients
        )
        if self._clients is None:
            names = (policy.local_endpoint, policy.cloud_endpoint)
            clients = [open_model(catalog.resolve(n), catalog=catalog) for n in names]
        else:
            clients = list(self._clients)
        zones = {n: catalog.resolve(n).zone for n in policy.endpoints() if n in catalog.endpoints}
        zones |= {c.name: c.zone for c in clients}
        priced = frozenset(n for n, z in zones.items() if z is not TrustZone.LOCAL)
        return BuildContext(
            pipeline=self.spec.name,
            catalog=catalog,
            policy=policy,
            routing=RulePolicy(policy, zones, priced),
            clients=clients,
            redactor=self._redactor or RedactorAgent(),
            budget=self._budget or Budget(),
            checklist_ref=self.spec.knowledge.checklist,
        )

    @cached_property
    def fingerprint(self) -> str:
        """The SHA-256 of what decides a report besides the input: the spec, the routing policy,
        the checklist's rules, the model endpoints' settings and hybridgraph's version (not the
        models' weights). ``run --skip-done`` reuses a report only under the same fingerprint."""
        import hashlib

        from hybridgraph import __version__

        context = self.context
        parts = [
            __version__,
            self.spec.model_dump_json(),
            context.policy.model_dump_json(),
            repr(context.checklist.rules),
            *(c.endpoint.model_dump_json() for c in context.clients),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @cached_property
    def graph(self) -> Any:
        """The compiled LangGraph graph (its input: ``document``, ``run_id``, ``source``, ``reachable``)."""
        return self._compile(intake=False)

    def served(self, checkpointer: Any = None) -> Any:
        """The graph for a LangGraph server (``langgraph.json``; the server adds its checkpointer):
        its input is just ``{"document": TEXT, "source": NAME}``. A first ``intake`` step checks
        the text, takes the run id from the server's config and probes the endpoints; a last
        ``release`` step drops the run's vault from the server's memory."""
        return self._compile(intake=True, checkpointer=checkpointer)

    def _compile(self, *, intake: bool, checkpointer: Any = None) -> Any:
        from langgraph.graph import END, START, StateGraph

        from hybridgraph.graphs.parts import routed
        from hybridgraph.graphs.registry import resolve_agent
        from hybridgraph.state import RunState
        from hybridgraph.telemetry.spans import TracedNode

        graph = StateGraph(RunState)
        first, end = self.spec.steps[0].id, END
        taken = {s.id for s in self.spec.steps} & {INTAKE, RELEASE} if intake else set()
        if taken:
            raise ConfigError(f"a served pipeline adds steps named {', '.join(sorted(taken))}", fix="rename yours")
        if intake:
            graph.add_node(INTAKE, TracedNode(INTAKE, self._intake))
            graph.add_node(RELEASE, TracedNode(RELEASE, self._release))
            graph.add_edge(START, INTAKE)
            graph.add_edge(INTAKE, first)
            graph.add_edge(RELEASE, END)
            end = RELEASE
        else:
            graph.add_edge(START, first)
        order = dict(self.spec.order())
        for step in self.spec.steps:
            node = TracedNode(step.id, resolve_agent(step.agent).build(step.config, self.context))
            edges = order.get(step.id, [])
            targets = [end if e.to == END_STEP else e.to for e in edges] or [end]
            if len(edges) <= 1 and (not edges or edges[0].when is None):
                graph.add_node(step.id, node)
                graph.add_edge(step.id, targets[0])
            else:
                routed(graph, step.id, node, _chooser(edges, end), [*targets, end])
        return graph.compile(name=self.spec.name, checkpointer=checkpointer)

    async def _intake(self, state: dict[str, Any], config: Any = None) -> dict[str, Any]:
        """A served run's start: the checked text, a run id (the server's) and the usable endpoints."""
        from hybridgraph.textinput import check_text

        configurable = (config or {}).get("configurable", {})
        run_id = state.get("run_id") or configurable.get("run_id") or configurable.get("thread_id")
        return {
            "document": check_text(state.get("document", ""), "the document"),
            "source": state.get("source") or "text",
            "run_id": str(run_id or uuid.uuid4().hex[:16]),
            "reachable": await self.reachable(),
        }

    def _release(self, state: dict[str, Any]) -> dict[str, Any]:
        """A served run's end: its vault leaves memory (the report already has the real values)."""
        self.context.redactor.forget(str(state.get("run_id", "")))
        return {}

    async def run(
        self,
        document: str | Path,
        *,
        source: str | None = None,
        run_id: str | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> PipelineResult:
        """Run the pipeline on a file or a text; ``on_step`` hears each finished step's name."""
        state: dict[str, Any] = {}
        run_id = run_id or uuid.uuid4().hex[:16]
        digest = await asyncio.to_thread(input_sha256, document) if isinstance(document, Path) else ""
        async for step, update in self.stream(document, source=source, run_id=run_id):
            state = update if step == "__values__" else state
            if on_step is not None and step != "__values__":
                on_step(step)
        return PipelineResult(run_id, str(state.get("source", source or "")), state, digest, self.fingerprint)

    def run_sync(self, document: str | Path, **options: Any) -> PipelineResult:
        """``run``, for code that is not async."""
        return asyncio.run(self.run(document, **options))

    async def stream(
        self, document: str | Path, *, source: str | None = None, run_id: str | None = None
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(step, update) for each node as it finishes, then ("__values__", the final state)."""
        from hybridgraph.telemetry import workflow

        text, name = await asyncio.to_thread(self.read, document, source)  # a PDF takes a while to read
        run_id = run_id or uuid.uuid4().hex[:16]
        graph_input = {"document": text, "run_id": run_id, "source": name, "reachable": await self.reachable()}
        final: dict[str, Any] = {}
        try:
            with workflow(self.spec.name, run_id=run_id):
                async for mode, chunk in self.graph.astream(graph_input, stream_mode=["updates", "values"]):
                    if mode == "values":
                        final = chunk
                        continue
                    for step, update in chunk.items():
                        yield step, update or {}
        finally:
            self.context.redactor.forget(run_id)  # the report has the real values; the vault is done
        yield "__values__", final

    def read(self, document: str | Path, source: str | None) -> tuple[str, str]:
        """The text of ``document`` (a file in one of the input's formats, or a text) and its name."""
        from hybridgraph.textinput import check_text

        if isinstance(document, Path):
            return _load_file(document, self.spec.inputs[0].formats), source or document.name
        return check_text(document, source or "the document"), source or "text"

    async def reachable(self) -> list[str]:
        """The endpoints usable now (probed at most once a minute, so a batch probes once); records
        why the others are not (``context.extra['unavailable']``)."""
        async with self._probe_lock:
            if self._probed is None or time.monotonic() - self._probed[0] > PROBE_EVERY_S:
                self._probed = (time.monotonic(), await self._probe())
            return list(self._probed[1])

    async def _probe(self) -> list[str]:
        from hybridgraph.models.availability import check_all
        from hybridgraph.models.function import FunctionModel

        clients = self.context.clients
        probed = [c for c in clients if c.layer(FunctionModel) is None]
        ready = await check_all([c.endpoint for c in probed])
        down = {c.name: a.detail for c, a in zip(probed, ready, strict=True) if not a.ready}
        policy, names = self.context.policy, {c.name for c in clients}
        endpoints = (policy.local_endpoint, policy.cloud_endpoint)
        down |= {n: "no client for it in this pipeline" for n in endpoints if n not in names}
        self.context.extra["unavailable"] = down
        return [c.name for c in clients if c.name not in down]

    def write_reports(self, result: PipelineResult, out: Path, name: str | None = None) -> list[Path]:
        """Write the run's report in the spec's ``outputs`` formats as ``NAME.PIPELINE.EXT``
        (``name``: the input's stem); returns the files."""
        from hybridgraph.tools.reports import write_reports

        if result.report is None:
            raise ConfigError(f"pipeline '{self.spec.name}' made no report", fix="end it with a 'reporter' step")
        return write_reports(result.report, out, self.spec.outputs, name)


def input_sha256(path: Path) -> str:
    """The SHA-256 of an input file's bytes ("" when it cannot be read: the run reports why)."""
    from hybridgraph.filehash import file_sha256

    try:
        return file_sha256(path)
    except OSError:
        return ""


def _with_endpoints(policy: Any, local: str | None, cloud: str | None, clients: Sequence[ModelClient] | None) -> Any:
    """The policy routing between the spec's models; with clients given (tests), between those."""
    if clients:
        local = local or next((c.name for c in clients if c.zone is TrustZone.LOCAL), None)
        cloud = cloud or next((c.name for c in clients if c.zone is not TrustZone.LOCAL), None)
    update = {k: v for k, v in (("local_endpoint", local), ("cloud_endpoint", cloud)) if v}
    return policy.model_copy(update=update)


def _chooser(edges: list[EdgeSpec], end: str) -> Callable[[dict[str, Any]], str]:
    def choose(state: dict[str, Any]) -> str:
        for edge in edges:
            if edge.when is None or _holds(edge.when, state):
                return end if edge.to == END_STEP else edge.to
        return end

    return choose


def _holds(when: When, state: dict[str, Any]) -> bool:
    if when.sensitivity and state.get("sensitivity") not in when.sensitivity:
        return False
    if when.has and not state.get(when.has):
        return False
    return not (when.lacks and state.get(when.lacks))


def _load_file(path: Path, formats: tuple[str, ...]) -> str:
    from hybridgraph.errors import InputError
    from hybridgraph.tools.loaders import load_document

    suffix = path.suffix.lower().lstrip(".")
    suffix = {"markdown": "md", "htm": "html"}.get(suffix, suffix)
    if suffix not in formats:
        raise InputError(
            f"{path.name}: this pipeline takes {', '.join(formats)} files, not '{suffix or 'no extension'}'",
            fix="convert the file, or add the format to the pipeline's inputs",
        )
    return load_document(path).text
