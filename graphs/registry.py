"""Agents and tools by name: Python entry points (``hybridgraph.agents``, ``hybridgraph.tools``),
plus what code registers at run time. hybridgraph's own agents register the same way, in its
``pyproject.toml``. A name that does not load is an error that names the package to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from hybridgraph.agents.base import PipelineAgent
from hybridgraph.errors import ConfigError

__all__ = ["agents", "register_agent", "register_tool", "resolve_agent", "resolve_tool", "tools"]

AGENT_GROUP = "hybridgraph.agents"
TOOL_GROUP = "hybridgraph.tools"
_added: dict[str, dict[str, Any]] = {AGENT_GROUP: {}, TOOL_GROUP: {}}
_loaded: dict[str, dict[str, Any]] = {}
_broken: dict[str, ConfigError] = {}  # entry points that failed to load, by name


def agents() -> dict[str, type[PipelineAgent]]:
    """Every registered agent class by name."""
    return _registry(AGENT_GROUP)


def tools() -> dict[str, Callable[..., Any]]:
    """Every registered tool by name (a callable an agent can look up by name)."""
    return _registry(TOOL_GROUP)


def register_agent(name: str, agent: type[PipelineAgent]) -> None:
    """Make ``agent`` usable by ``name`` in pipelines of this process (entry points do it for installs)."""
    if not (isinstance(agent, type) and issubclass(agent, PipelineAgent)):
        raise ConfigError(f"agent '{name}' must be a PipelineAgent subclass", fix="subclass hybridgraph.PipelineAgent")
    _added[AGENT_GROUP][name] = agent


def register_tool(name: str, tool: Callable[..., Any]) -> None:
    """Make ``tool`` usable by ``name`` in this process."""
    _added[TOOL_GROUP][name] = tool


def resolve_agent(name: str) -> type[PipelineAgent]:
    """The agent registered as ``name``; ``ConfigError`` with "did you mean" otherwise."""
    return _resolve(AGENT_GROUP, name)  # type: ignore[no-any-return]


def resolve_tool(name: str) -> Callable[..., Any]:
    """The tool registered as ``name``."""
    return _resolve(TOOL_GROUP, name)  # type: ignore[no-any-return]


def _resolve(group: str, name: str) -> Any:
    known = _registry(group)
    if name in known:
        return known[name]
    if name in _broken:
        raise _broken[name]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    kind = group.rsplit(".", 1)[-1]
    raise ConfigError(
        f"unknown {kind[:-1]} '{name}'",
        fix=f"{hint}registered {kind}: {', '.join(sorted(known))}; a package registers more under '{group}'",
    )


def _registry(group: str) -> dict[str, Any]:
    if group not in _loaded:
        found: dict[str, Any] = {}
        for point in entry_points(group=group):
            try:
                found[point.name] = point.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
                _broken[point.name] = ConfigError(
                    f"the {group} entry point '{point.name}' ({point.value}) does not load: {type(exc).__name__}",
                    fix="reinstall the package that provides it, or uninstall it",
                )
        _loaded[group] = found
    return {**_loaded[group], **_added[group]}
