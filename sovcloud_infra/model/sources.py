"""Reading stack YAML files while remembering where every value came from.

Validation errors must name the file and line of the offending value, so the
loader keeps, for every mapping and sequence, the line of each key and item.
Line lookup is lazy: nothing is paid for it until a problem is reported.

The YAML dialect is deliberately close to YAML 1.2's core schema: only
``true``/``false`` are booleans (so Norway's ISO code ``NO`` stays a string)
and ``00:11:22:33:44:55`` is not read as a base-60 integer (so MACs need no
quotes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

try:  # the C parser is ~10x faster; the pure-Python one is a fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present on Debian and in wheels
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class LineDict(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that remembers the line of itself and of each item."""

    line: int
    item_lines: list[int]


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    line: int
    first_line: int


class _StackLoader(_BaseLoader):
    """Safe loader with line tracking and a YAML-1.2-like set of implicit types."""

    duplicates: list[DuplicateKey]

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates = []

    def construct_tracked_map(self, node: yaml.MappingNode) -> Iterator[LineDict]:
        data = LineDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in data.key_lines:
                self.duplicates.append(DuplicateKey(key, line, data.key_lines[key]))
            data.key_lines[key] = line
            data[key] = self.construct_object(value_node, deep=True)

    def construct_tracked_seq(self, node: yaml.SequenceNode) -> Iterator[LineList]:
        data = LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = []
        yield data
        for item in node.value:
            data.item_lines.append(item.start_mark.line + 1)
            data.append(self.construct_object(item, deep=True))


_StackLoader.add_constructor("tag:yaml.org,2002:map", _StackLoader.construct_tracked_map)
_StackLoader.add_constructor("tag:yaml.org,2002:seq", _StackLoader.construct_tracked_seq)

# Replace the YAML 1.1 implicit resolvers for bool and int with YAML 1.2 core ones.
_StackLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_StackLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StackLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+)$"),
    list("-+0123456789"),
)


def _construct_yaml12_int(loader: _StackLoader, node: yaml.ScalarNode) -> int | str:
    raw = str(loader.construct_scalar(node))
    text = raw.replace("_", "")
    try:
        if text.startswith("0o"):
            return int(text[2:], 8)
        return int(text, 0) if text.startswith("0x") else int(text, 10)
    except ValueError:
        return raw  # e.g. "0x_": left as text, so the schema reports it at its line


def _construct_timestamp(loader: _StackLoader, node: yaml.ScalarNode) -> object:
    """Dates that do not exist (2027-02-30) stay text, so the schema reports them at their line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(loader.construct_scalar(node))


def _construct_yaml12_bool(loader: _StackLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


_StackLoader.add_constructor("tag:yaml.org,2002:int", _construct_yaml12_int)
_StackLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_StackLoader.add_constructor("tag:yaml.org,2002:bool", _construct_yaml12_bool)

_resolve_uncached = cast(Callable[..., str], _StackLoader.resolve)


@lru_cache(maxsize=65536)
def _resolve_plain_scalar(value: str) -> str:
    return _resolve_uncached(_StackLoader, yaml.ScalarNode, value, (True, False))


def _resolve_fast(self: _StackLoader, kind: type, value: Any, implicit: Any) -> str:
    """Cached tag resolution for plain scalars: stack files repeat the same few values
    (interface names, roles, sizes) thousands of times, and regex resolution is per node."""
    if kind is yaml.ScalarNode and implicit and implicit[0]:
        return _resolve_plain_scalar(value)
    return _resolve_uncached(self, kind, value, implicit)


_StackLoader.resolve = _resolve_fast  # type: ignore[method-assign,assignment]


@dataclass
class SourceFile:
    """One parsed stack file: its data and where each value sits."""

    path: Path
    display: str
    """Path as shown in messages (relative to the working directory when possible)."""
    data: Any
    duplicates: list[DuplicateKey]

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """Line of the deepest existing element along `loc` (a pydantic-style path)."""
        node: Any = self.data
        line = getattr(node, "line", 1)
        for step in loc:
            if isinstance(node, LineDict) and isinstance(step, str) and step in node:
                line = node.key_lines.get(step, line)
                node = node[step]
            elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
                line = node.item_lines[step]
                node = node[step]
            else:
                break
        return line


class YamlSyntaxError(Exception):
    """A file that is not valid YAML; carries the position the parser gave."""

    def __init__(self, display: str, line: int, message: str):
        super().__init__(message)
        self.display = display
        self.line = line
        self.message = message


def display_path(path: Path) -> str:
    """Path relative to the current directory if it is below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path) -> SourceFile:
    """Parse one YAML file with line tracking; raise `YamlSyntaxError` if it is not YAML."""
    display = display_path(path)
    text = path.read_text(encoding="utf-8")
    loader = _StackLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise YamlSyntaxError(display, line, what or "invalid YAML") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(display, 0, str(exc)) from None
    finally:
        loader.dispose()
    return SourceFile(path=path, display=display, data=data, duplicates=loader.duplicates)
