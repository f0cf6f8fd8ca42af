"""Load a YAML file into a pydantic model, with errors that name file, line and field.

It sits outside the layers (like errors.py) because every layer reads some YAML file
and the domain models must stay free of the YAML library.

Every YAML file Station reads (wipe profiles, bench profile, image profiles) comes
through here, so the limits live here: a size cap (a profile is a few KiB), no aliases
(`*name`: a 467-byte "billion laughs" file expands to billions of nodes), a cap on the
number of nodes, and one parse (composed once, with libyaml's C loader when present).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from station.errors import ProfileError

M = TypeVar("M", bound=BaseModel)
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_NODES = 20_000
# libyaml's loader when PyYAML was built with it: the pure-Python one is ~10x slower.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ProfileError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    if len(raw) > MAX_YAML_BYTES:
        raise ProfileError(
            str(path), [f"the file is over {MAX_YAML_BYTES // 1024} KiB; a profile is a few KiB"]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), ["the file is not UTF-8 text"]) from exc


def _check_tree(path: Path, root: yaml.Node) -> None:
    """Refuse aliases (a node reached twice) and trees over MAX_YAML_NODES nodes, walking
    without recursion and without ever expanding an alias."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1
            raise ProfileError(
                str(path), [f"line {line}: aliases (&anchor / *alias) are not allowed here"]
            )
        seen.add(id(node))
        if len(seen) > MAX_YAML_NODES:
            raise ProfileError(str(path), [f"more than {MAX_YAML_NODES} YAML nodes"])
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def _parse(path: Path, text: str) -> tuple[yaml.Node | None, object]:
    """The composed tree (for line numbers) and the data built from it: one parse."""
    loader = Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_tree(path, root)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def load_model(path: Path, model: type[M]) -> M:
    """Parse `path` as YAML and validate it as `model`, or raise ProfileError."""
    text = _read(path)
    try:
        root, data = _parse(path, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(str(path), [f"{where}not valid YAML ({problem})"]) from exc
    if not isinstance(data, dict):
        raise ProfileError(str(path), ["expected a mapping of fields at the top of the file"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(str(path), _describe(exc, root)) from exc


def _describe(exc: ValidationError, root: yaml.Node | None) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [part for part in error["loc"] if not _is_pydantic_branch(part)]
        field = _dotted(loc) or "(top level)"
        line = _line_of(root, loc)
        where = f"line {line}: " if line else ""
        expected = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            expected = "unknown field (check its spelling)"
        elif error["type"] == "missing":
            expected = "missing required field"
        got = error.get("input")
        got_text = "" if error["type"] in {"missing", "extra_forbidden"} else f" (got {got!r})"
        if isinstance(got, dict | list):
            got_text = ""
        problems.append(f"{where}field '{field}': {expected}{got_text}")
    return problems


def _is_pydantic_branch(part: int | str) -> bool:
    # Pydantic adds the names of union branches and tagged choices to locations.
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def _dotted(loc: list[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the deepest node along `loc` that exists in the file."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    child = value
                    best = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            best = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return best
