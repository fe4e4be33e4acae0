"""Graph builders: YAML pipeline specs and the cascade, parallel and split patterns.

Import as ``hybridgraph.graphs``.
"""
