"""Parse YAML once, strictly: duplicate keys, deep nesting and alias bombs are ``ConfigError``\\ s.

PyYAML accepts a mapping that names a key twice and keeps the last value, so a second
``action:`` in a policy silently replaces the first. It also composes nested collections by
recursion, so a few thousand ``[`` end in ``RecursionError``, and it expands aliases without a
bound. ``parse_yaml`` refuses all three with an error that gives file:line and the fix:

- a key repeated in one mapping (compared as constructed, so ``1`` and ``01`` are one key;
  keys merged in with ``<<`` may still be overridden, as YAML intends) names both lines;
- nesting deeper than ``MAX_DEPTH`` collections, counted with aliases expanded, is refused
  while composing, before Python's recursion limit is near;
- more than ``MAX_NODES`` nodes with aliases expanded, or an alias to a collection that
  contains it, is refused too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hybridgraph.errors import ConfigError

__all__ = ["MAX_DEPTH", "MAX_NODES", "parse_yaml"]

#: Collections nested deeper than this are refused (configurations use fewer than ten levels).
MAX_DEPTH = 64
#: Documents with more nodes than this, counting every alias's nodes again, are refused.
MAX_NODES = 1_000_000
_MERGE = "tag:yaml.org,2002:merge"


def parse_yaml(text: str, source: Path | str = "<string>") -> tuple[yaml.Node | None, Any]:
    """The composed node tree of ``text`` (for error locations) and its data, from one parse.
    Raises ``ConfigError`` for a syntax error, a duplicate key, deep nesting or an alias bomb."""
    try:
        loader = _StrictLoader(text, source)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as exc:
        raise _character_error(exc, text, source) from None
    try:
        root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    finally:
        loader.dispose()


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that bounds depth and size while composing and refuses duplicate keys."""

    def __init__(self, text: str, source: Path | str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0
        self.shape: dict[int, tuple[int, int]] = {}  # id(node) -> (height, nodes), aliases expanded

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # The scanner slows quadratically with open brackets: refuse them before composing starts.
        if self.flow_level >= MAX_DEPTH:
            raise self._error(f"nested more than {MAX_DEPTH} levels deep", self.get_mark(), "flatten the structure")
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        alias = self.check_event(yaml.AliasEvent)
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._error(f"nested more than {MAX_DEPTH} levels deep", mark, "flatten the structure")
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node is None:  # not at a node: PyYAML's parser reports that
            return None
        if alias:
            self._check_alias(node, mark)
        else:
            self._measure(node, mark)
        return node

    def _check_alias(self, node: yaml.Node, mark: yaml.Mark) -> None:
        if id(node) not in self.shape:
            raise self._error("an alias refers to the collection that contains it", mark, "remove the alias")
        if self.depth + self.shape[id(node)][0] > MAX_DEPTH:
            raise self._error(
                f"nested more than {MAX_DEPTH} levels deep once aliases are expanded", mark, "flatten the structure"
            )

    def _measure(self, node: yaml.Node, mark: yaml.Mark) -> None:
        children = _children(node)
        shapes = [self.shape[id(child)] for child in children]
        height = 1 + max((h for h, _ in shapes), default=0)
        size = 1 + sum(n for _, n in shapes)
        if size > MAX_NODES:
            raise self._error(
                f"more than {MAX_NODES:,} values once aliases are expanded", mark, "use fewer aliases, or none"
            )
        self.shape[id(node)] = (height, size)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self._refuse_duplicates(node)
        return super().construct_mapping(node, deep=deep)

    def _refuse_duplicates(self, node: yaml.MappingNode) -> None:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key; the constructor reports it
                continue
            if first is not key_node:
                raise self._duplicate(key, first, key_node)

    def _duplicate(self, key: Any, first: yaml.Node, second: yaml.Node) -> ConfigError:
        where = f"{self.source}:{first.start_mark.line + 1}"
        return self._error(
            f"the key '{key}' appears twice in one mapping (first at {where}); YAML would keep only the last",
            second.start_mark,
            f"keep one '{key}:' and delete the other (lines {first.start_mark.line + 1} and "
            f"{second.start_mark.line + 1})",
        )

    def _error(self, message: str, mark: yaml.Mark, fix: str) -> ConfigError:
        return ConfigError(message, path=self.source, line=mark.line + 1, column=mark.column + 1, fix=fix)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _syntax_error(exc: yaml.YAMLError, source: Path | str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return ConfigError(
        f"YAML syntax error: {problem}",
        path=source,
        line=line,
        column=column,
        fix="fix the indentation or quoting at that position",
    )


def _character_error(exc: yaml.reader.ReaderError, text: str, source: Path | str) -> ConfigError:
    before = text[: exc.position]
    return ConfigError(
        f"YAML cannot hold the control character #x{exc.character:04x}",
        path=source,
        line=before.count("\n") + 1,
        column=exc.position - (before.rfind("\n") + 1) + 1,
        fix='remove it, or write it as an escape inside double quotes (e.g. "\\x0e")',
    )
