"""The typed state that flows through a hybridgraph run, and the names of its nodes.

Fields are filled in by the agents as the run goes. ``document`` is the raw input and stays
on this machine; what may leave is ``redacted`` (and what agents derive from it). Real values
live in the run's vault, never in the state.
"""

from __future__ import annotations

import operator
from enum import StrEnum
from typing import Annotated, TypedDict

from hybridgraph.zones import Sensitivity

__all__ = [
    "Candidate",
    "ChunkLevel",
    "Fault",
    "Finding",
    "ModelUse",
    "NodeName",
    "RetrievedPassage",
    "RunState",
    "Verification",
]


class NodeName(StrEnum):
    """Node names of the shipped agents and patterns."""

    REDACT = "redact"
    RETRIEVE = "retrieve"
    RESTORE = "restore"
    ROUTE = "route"
    PLAN = "plan"
    SOLVE = "solve_local"
    CONSULT = "consult_cloud"
    VERIFY = "verify"
    CROSS_CHECK = "cross_check"
    CRITERIA = "criteria"
    HUMAN = "human"
    QUEUE = "queue"
    FINISH = "finish"
    FIND = "find"
    JUDGE = "judge"
    VERIFY_QUOTES = "verify_quotes"
    REPORT = "report"


class ModelUse(TypedDict):
    """One model call of a run, for its economics: where it ran and what it cost."""

    step: str
    endpoint: str
    zone: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


class Candidate(TypedDict):
    """One answer of a parallel step: which endpoint gave it, in which zone, at which attempt."""

    answer: str
    zone: str
    endpoint: str
    attempt: int


class Fault(TypedDict):
    """A step that could not be done as routed: which endpoint (or tool) failed, how (the error's
    type and message, which never hold content), at which attempt, and whether the endpoint is
    out of use (down, circuit open, no credentials, payload blocked) or just failed this request."""

    step: str
    endpoint: str
    error: str
    message: str
    attempt: int
    outage: bool


class Verification(TypedDict):
    """The verifier's verdict on the current answer (``accept``, ``escalate``, ``needs_human``)."""

    verdict: str
    score: float
    reasons: list[str]


class ChunkLevel(TypedDict):
    """The sensitivity of ``document[start:end]`` and why (entity types and keywords, no values)."""

    start: int
    end: int
    sensitivity: Sensitivity
    reasons: list[str]


class RetrievedPassage(TypedDict):
    """A passage the retriever found: its text, where it is from, and how close it is."""

    text: str
    source: str
    start: int
    end: int
    section: str
    sensitivity: Sensitivity
    score: float


class Finding(TypedDict, total=False):
    """One item of a review: where the document says it (a verbatim ``quote`` of
    ``document[start:end]``), for a checklist statement the ``label`` (``entailment``,
    ``contradiction``, ``not_mentioned``), what the review decided (``status``: ``violation``, ``compliant``,
    ``needs_review`` or ``not_found``), which rule, why, how it was decided (``route``: ``local``,
    ``cloud`` or ``human``, and ``route_reason``), with what ``confidence`` (and the local answer's
    ``token_confidence``, where its backend gives log-probabilities), and, when a person
    should look at it, ``review`` says why ("" otherwise)."""

    category: str
    quote: str
    start: int
    end: int
    score: float
    rule: str
    severity: str
    label: str
    status: str
    explanation: str
    route: str
    route_reason: str
    confidence: float | None
    token_confidence: float | None
    review: str


class RunState(TypedDict, total=False):
    """What a run knows. Warnings from every node accumulate."""

    run_id: str
    document: str
    redacted: str
    sensitivity: Sensitivity
    sensitivity_reasons: list[str]
    chunks: list[ChunkLevel]
    entity_counts: dict[str, int]
    query: str | list[str]  # a text, or phrasings of one need (the retriever's; it also takes a Need)
    passages: list[RetrievedPassage]
    answer: str
    answer_zone: str
    restored: str
    unrestored: list[str]
    confidence: float | None
    token_confidence: float | None  # the local answer's tokens' geometric mean probability (logprobs)
    verification: Verification
    attempt: int
    checked: int
    route: dict[str, object]
    routes: Annotated[list[dict[str, object]], operator.add]
    skipped_escalations: list[str]  # escalations a guard stopped, and why (see ``RouteDecision.skipped``)
    reachable: list[str]
    fault: Fault | None
    faults: Annotated[list[Fault], operator.add]
    approved: bool
    uses: Annotated[list[ModelUse], operator.add]
    candidates: Annotated[list[Candidate], operator.add]
    criteria: str
    human: dict[str, object]
    status: str
    economics: dict[str, object]
    source: str
    sensitivity_floor: Sensitivity
    findings: list[Finding]
    report: dict[str, object]
    warnings: Annotated[list[str], operator.add]
