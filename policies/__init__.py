"""Routing policies: the pure decision engine and its shipped presets.

Import as ``hybridgraph.policies``.
"""
