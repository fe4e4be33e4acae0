"""Test policies in a line: a name, the rules, and the two endpoints they route between."""

from __future__ import annotations

from typing import Any

from hybridgraph.policies import Policy


def policy_of(name: str, rules: list[dict[str, Any]], local: str = "local", cloud: str = "cloud") -> Policy:
    """A ``Policy`` from plain rule dicts, as a YAML file would give them."""
    return Policy.model_validate({"name": name, "local_endpoint": local, "cloud_endpoint": cloud, "rules": rules})
