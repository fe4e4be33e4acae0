"""Tools the agents use: PII detection and vault, vector store, document loaders.

Import as ``hybridgraph.tools``.
"""
