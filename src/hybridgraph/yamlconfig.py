"""Load YAML into pydantic models, with errors that give file:line:column and the fix.

Every typed configuration (model catalog, policies, pipelines) goes through
``load_yaml_model``: YAML syntax errors, duplicate keys, nesting past ``MAX_DEPTH`` (see
``hybridgraph.yamlstrict``) and validation errors alike become one ``ConfigError`` pointing
at the offending node, with "did you mean" for misspelt keys.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from hybridgraph.errors import ConfigError, InputError
from hybridgraph.textinput import read_text_file
from hybridgraph.yamlstrict import parse_yaml

__all__ = ["load_yaml_model", "validate_yaml_text"]

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path | str, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; raise ``ConfigError`` with the location.
    ``context`` goes to pydantic's validators (``ValidationInfo.context``)."""
    file = Path(path)
    try:
        text = read_text_file(file)  # the cause named: missing, permission, encoding with its offset
    except InputError as exc:
        raise ConfigError(exc.message, fix=exc.fix) from None
    return validate_yaml_text(text, model, source=file, context=context)


def validate_yaml_text(
    text: str, model: type[M], *, source: Path | str = "<string>", context: dict[str, Any] | None = None
) -> M:
    """Validate YAML ``text`` as ``model``; ``source`` names it in errors. The text is parsed once,
    strictly (``hybridgraph.yamlstrict``): a duplicate key or deep nesting is a ``ConfigError``."""
    root, data = parse_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the top level must be a mapping of keys to values",
            path=source,
            line=1,
            fix=f"see the schema: {model.__name__}.model_json_schema()",
        )
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise _validation_error(exc, root, model, source) from None


def _validation_error(
    exc: ValidationError, root: yaml.Node | None, model: type[BaseModel], source: Path | str
) -> ConfigError:
    errors = _innermost(exc.errors())
    # A misspelt key shows up as "extra" plus "missing"; the extra key is the one to point at.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(first["loc"])
    node = _node_at(root, loc, at_key=first["type"] == "extra_forbidden")
    dotted = ".".join(str(p) for p in loc) or "<top level>"
    problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
    message = f"{dotted}: {problem}"
    fix = _fix_for(first, loc, model)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    line = node.start_mark.line + 1 if node is not None else None
    column = node.start_mark.column + 1 if node is not None else None
    return ConfigError(message, path=source, line=line, column=column, fix=fix)


def _innermost(errors: list[Any]) -> list[Any]:
    """Errors without those a deeper error caused (a list whose item failed is also "too short")."""
    locs = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e, loc in zip(errors, locs, strict=True)
        if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)
    ]


def _fix_for(error: Any, loc: tuple[Any, ...], model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden" and loc:
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"did you mean '{close[0]}'? Allowed keys here: {', '.join(sorted(allowed))}"
        return f"remove it; allowed keys here: {', '.join(sorted(allowed))}"
    if error["type"] == "missing":
        return f"add the key '{loc[-1]}'"
    if error["type"] == "value_error":  # our validators name the problem and the choices
        return "correct the value at that position (see the message)"
    return "correct the value at that position"


def _allowed_keys(model: type[BaseModel], parent: tuple[Any, ...]) -> list[str]:
    annotation: Any = model
    for part in parent:
        annotation = _strip_optional(annotation)
        if _is_model(annotation):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        else:  # a container: ``part`` is a list index or a dict key
            args = get_args(annotation)
            annotation = args[-1] if args else None
    annotation = _strip_optional(annotation)
    if not _is_model(annotation):
        return []
    return [field.alias or name for name, field in annotation.model_fields.items()]


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...], *, at_key: bool) -> yaml.Node | None:
    """The node at ``loc``; with ``at_key``, the last step's key rather than its value."""
    node = root
    for i, part in enumerate(loc):
        pair = _child(node, part)
        if pair is None:
            return node
        key, value = pair
        node = key if at_key and i == len(loc) - 1 and key is not None else value
    return node


def _child(node: yaml.Node | None, part: Any) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None
