"""Specialist agents (redactor, retriever, local solver, cloud consultant, verifier) as LangGraph nodes.

Import as ``hybridgraph.agents``.
"""
