"""Specialist agents (redactor, retriever, local solver, cloud consultant, verifier) as LangGraph nodes.

Import as ``hybridgraph.agents``.
"""

from __future__ import annotations

from hybridgraph.agents.redactor import RedactorAgent
from hybridgraph.agents.retriever import RetrieverAgent

__all__ = ["RedactorAgent", "RetrieverAgent"]
