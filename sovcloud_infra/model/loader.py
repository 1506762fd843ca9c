"""Load a stack directory into a resolved, validated `Region`.

Layout of a stack (``stacks/<name>/``)::

    region.yaml, networks.yaml, ...   top-level sections (each section in one file only)
    racks/<rack>.yaml                 one rack and its hosts per file

Loading never stops at the first problem: each list item is validated on its
own, so one bad host does not hide the problems of the others, and references
to an item that failed its own validation are not reported a second time as
dangling.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sovcloud_infra.model import checks, ipam
from sovcloud_infra.model.problems import Location, ProblemSink, RegionInvalid
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import (
    SECTIONS,
    Datacenter,
    Hardening,
    HardwareModel,
    Host,
    HypervisorClass,
    Network,
    Rack,
    RegionInfo,
    SreGroup,
    StorageTier,
    Strict,
    Tenant,
)
from sovcloud_infra.model.sources import LineDict, LineList, SourceFile, YamlSyntaxError, display_path, read_source

M = TypeVar("M", bound=Strict)

_LIST_SECTIONS: dict[str, type[Strict]] = {
    "datacenters": Datacenter,
    "hardware_models": HardwareModel,
    "networks": Network,
    "storage_tiers": StorageTier,
    "hypervisor_classes": HypervisorClass,
    "tenants": Tenant,
    "sre_groups": SreGroup,
}
_SINGLE_SECTIONS: dict[str, type[Strict]] = {"region": RegionInfo, "hardening": Hardening}
_REQUIRED_SECTIONS = ("region", "datacenters", "networks", "hardware_models")
# The kind words that dangling-reference problems use, per model.
_KINDS = {
    "Datacenter": "datacenter",
    "HardwareModel": "hardware model",
    "Network": "network",
    "StorageTier": "storage tier",
    "HypervisorClass": "hypervisor class",
    "Tenant": "tenant",
    "SreGroup": "SRE group",
    "Host": "host",
}
_RACK_KEYS = ("rack", "hosts")


def stack_files(stack_dir: Path) -> tuple[list[Path], list[Path]]:
    """The section files and the rack files of a stack, in a stable order."""
    sections = sorted(p for p in stack_dir.glob("*.y*ml") if p.is_file())
    racks = sorted(p for p in (stack_dir / "racks").glob("*.y*ml") if p.is_file())
    return sections, racks


def load_region(stack_dir: Path, *, today: dt.date | None = None) -> Region:
    """Read, validate and resolve the stack at `stack_dir`.

    Raises `RegionInvalid` with every problem found. `today` is the date
    against which waiver expiries are judged (default: the real today).
    """
    loader = _Loader(stack_dir)
    with _gc_paused():
        region = loader.load()
        # Cross-object checks on a region missing a whole file would mostly report echoes of the
        # file's syntax error (missing sections, dangling references): they run once every file parses.
        if not loader.unparsed:
            checks.run_all(region, loader.sink, today or dt.date.today())
            ipam.assign_addresses(region, loader.sink)
            checks.run_after_allocation(region, loader.sink)
    if loader.sink:
        raise RegionInvalid(stack_dir.name, loader.sink.problems)
    return region


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading creates hundreds of thousands of small, long-lived objects; the
    collector would rescan the growing heap again and again (it doubled the
    time to load a 10,000-host region). Nothing built here needs it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Loader:
    def __init__(self, stack_dir: Path):
        self.stack_dir = stack_dir
        self.sink = ProblemSink(stack_dir)
        self.section_origin: dict[str, Location] = {}
        self.unparsed = False
        """True when some file could not be read as a stack file at all."""
        self.region = Region(name=stack_dir.name)

    # ------------------------------------------------------------------ #
    def load(self) -> Region:
        if not self.stack_dir.is_dir():
            self.unparsed = True
            self.sink.add(
                "stack-not-found",
                f"no stack directory {display_path(self.stack_dir)}",
                Location(display_path(self.stack_dir)),
                "create stacks/<name>/ with region.yaml and racks/, or pass --stacks-dir",
            )
            return self.region
        section_files, rack_files = stack_files(self.stack_dir)
        for path in section_files:
            source = self._read(path)
            if source is not None:
                self._load_sections(source)
        for path in rack_files:
            source = self._read(path)
            if source is not None:
                self._load_rack(source)
        for section in _REQUIRED_SECTIONS:
            if section not in self.section_origin and not self.unparsed:
                self.sink.add(
                    "missing-section",
                    f"the stack has no '{section}' section",
                    Location(display_path(self.stack_dir)),
                    f"add a top-level '{section}:' key to one of the stack's YAML files",
                )
        return self.region

    def _read(self, path: Path) -> SourceFile | None:
        try:
            source = read_source(path)
        except YamlSyntaxError as exc:
            self.unparsed = True
            if "could not determine a constructor" in exc.message:
                hint = "YAML tags and merge keys (<<: *anchor) are not supported in stack files: write the values out"
            else:
                hint = "fix the YAML syntax at this line (indentation, quotes, brackets, ': ' after keys)"
            self.sink.add(
                "yaml-syntax",
                f"not valid YAML: {exc.message}",
                Location(exc.display, exc.line),
                hint + "; cross-file checks run once every file parses",
            )
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.unparsed = True
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            self.sink.add(
                "unreadable-file",
                f"cannot read the file: {reason}",
                Location(display_path(path), 1),
                "save the file as UTF-8 text readable by the user running sovcloud",
            )
            return None
        for dup in source.duplicates:
            self.sink.add(
                "duplicate-key",
                f"key '{dup.key}' appears twice in the same mapping; YAML would silently keep the last",
                Location(source.display, dup.line),
                "remove or rename one of the two keys",
                (Location(source.display, dup.first_line),),
            )
        return source

    # ------------------------------------------------------------------ #
    def _expect_mapping(self, source: SourceFile, allowed: tuple[str, ...]) -> LineDict | None:
        data = source.data
        if data is None:
            self.sink.add("empty-file", "the file is empty", Location(source.display, 1), "remove it or add content")
            return None
        if not isinstance(data, LineDict):
            self.unparsed = True
            self.sink.add(
                "not-a-mapping",
                "the top level of a stack file must be a mapping of sections",
                Location(source.display, 1),
                f"start the file with one of: {', '.join(allowed)}",
            )
            return None
        for key in data:
            if key not in allowed:
                if key in _RACK_KEYS and allowed is SECTIONS:
                    hint = "a rack file belongs under racks/: move this file to racks/<rack name>.yaml"
                else:
                    hint = _did_you_mean(key, allowed)
                self.sink.add(
                    "unknown-key",
                    f"unknown top-level key '{key}'",
                    Location(source.display, data.key_lines[key]),
                    hint,
                )
        return data

    def _load_sections(self, source: SourceFile) -> None:
        data = self._expect_mapping(source, SECTIONS)
        if data is None:
            return
        for key in SECTIONS:
            if key not in data:
                continue
            here = Location(source.display, data.key_lines[key])
            if key in self.section_origin:
                self.sink.add(
                    "duplicate-section",
                    f"section '{key}' is defined in more than one file",
                    here,
                    "keep each top-level section in one file (racks go under racks/, one file each)",
                    (self.section_origin[key],),
                )
                continue
            self.section_origin[key] = here
            if key in _SINGLE_SECTIONS:
                obj = self._validate(source, _SINGLE_SECTIONS[key], data[key], (key,), key)
                if obj is not None:
                    setattr(self.region, key, obj)
            else:
                items = self._validate_list(source, _LIST_SECTIONS[key], data[key], (key,))
                getattr(self.region, key).extend(items)

    def _load_rack(self, source: SourceFile) -> None:
        data = self._expect_mapping(source, _RACK_KEYS)
        if data is None:
            return
        if "rack" not in data:
            self.sink.add(
                "missing-key",
                "a rack file needs a 'rack:' mapping (name, datacenter, index, height_u, power_budget_w)",
                Location(source.display, data.line),
                "add the rack's description at the top of the file",
            )
            rack = None
        else:
            rack = self._validate(source, Rack, data["rack"], ("rack",), "rack")
        raw_hosts = data.get("hosts")
        hosts = [] if raw_hosts is None else self._validate_list(source, Host, raw_hosts, ("hosts",))
        if rack is None:
            return
        self.region.racks.append(rack)
        for host in hosts:
            host._rack = rack
            self.region.hosts.append(host)

    # ------------------------------------------------------------------ #
    def _validate_list(self, source: SourceFile, model: type[M], raw: Any, path: tuple[str | int, ...]) -> list[M]:
        if not isinstance(raw, LineList):
            self.sink.add(
                "not-a-list",
                f"'{path[-1]}' must be a list (items start with '- ')",
                Location(source.display, source.line_of(path)),
                "write each item on its own line starting with '- '",
            )
            return []
        out = []
        for index, item in enumerate(raw):
            obj = self._validate(source, model, item, (*path, index), _describe(model, item, index))
            if obj is not None:
                out.append(obj)
            elif isinstance(item, dict):
                kind = _KINDS.get(model.__name__, model.__name__.lower())
                self.region.invalid_names.add((kind, str(item.get("name") or item.get("hostname") or "")))
        return out

    def _validate(
        self, source: SourceFile, model: type[M], raw: Any, path: tuple[str | int, ...], what: str
    ) -> M | None:
        try:
            obj = model.model_validate(raw)
        except ValidationError as exc:
            for err in _without_typo_echoes(model, exc.errors(include_url=False)):
                self._report_schema_error(source, model, path, what, err)
            return None
        _locate(obj, source, path)
        return obj

    def _report_schema_error(
        self, source: SourceFile, model: type[BaseModel], path: tuple[str | int, ...], what: str, err: Any
    ) -> None:
        loc = tuple(err["loc"])
        full = (*path, *loc)
        line = source.line_of(full)
        field = _dotted(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            self.sink.add(
                "unknown-key",
                f"{what}: unknown key '{loc[-1]}'",
                Location(source.display, line),
                _did_you_mean(str(loc[-1]), allowed),
            )
        elif kind == "missing":
            self.sink.add(
                "missing-key",
                f"{what}: required key '{field}' is missing",
                Location(source.display, line),
                f"add '{loc[-1]}:' to {what}",
            )
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            where = f"{what}: {field}" if field else what
            self.sink.add(
                "invalid-value",
                f"{where}: {message} (got {_short(err.get('input'))})",
                Location(source.display, line),
                _value_hint(kind, message),
            )


# ---------------------------------------------------------------------- #
# helpers
# ---------------------------------------------------------------------- #


def _locate(obj: BaseModel, source: SourceFile, path: tuple[str | int, ...]) -> None:
    """Record the source location of `obj` and of every stack object nested in it."""
    _locate_node(obj, _node_at(source.data, path), source.line_of(path), source.display)


def _node_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(data, LineDict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, LineList) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


def _locate_node(obj: BaseModel, raw: Any, line: int, display: str) -> None:
    """Walk the model and its raw YAML side by side (one pass, no re-walking from the root)."""
    private = obj.__pydantic_private__
    assert private is not None
    private["_at"] = Location(display, line)
    if isinstance(raw, LineDict):
        private["_key_lines"] = raw.key_lines
    for name in _nested_fields(type(obj)):
        value = obj.__dict__[name]
        if isinstance(raw, LineDict) and name in raw:
            sub, sub_line = raw[name], raw.key_lines[name]
        else:
            sub, sub_line = None, line
        if isinstance(value, BaseModel):
            _locate_node(value, sub, sub_line, display)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(sub, LineList) and index < len(sub):
                    _locate_node(item, sub[index], sub.item_lines[index], display)
                else:
                    _locate_node(item, None, sub_line, display)


_NESTED: dict[type[BaseModel], tuple[str, ...]] = {}


def _nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Names of the fields of `model` that hold stack objects (or lists of them), cached per class."""
    found = _NESTED.get(model)
    if found is None:
        found = tuple(n for n, f in model.model_fields.items() if _holds_strict(f.annotation))
        _NESTED[model] = found
    return found


def _holds_strict(annotation: Any) -> bool:
    inner = _inner_model(annotation)
    return inner is not None and issubclass(inner, Strict) and not _is_mapping(annotation)


def _is_mapping(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict


def _without_typo_echoes(model: type[BaseModel], errors: list[Any]) -> list[Any]:
    """Drop "missing key K" when an unknown key at the same level is a typo of K (one problem, not two)."""
    typos = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            for match in difflib.get_close_matches(str(loc[-1]), list(_allowed_keys(model, loc[:-1])), n=1, cutoff=0.6):
                typos.add((*loc[:-1], match))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in typos)]


def _describe(model: type[BaseModel], item: Any, index: int) -> str:
    label = {"Host": "host", "HypervisorClass": "hypervisor class", "StorageTier": "storage tier"}.get(
        model.__name__,
        model.__name__.lower().replace("sregroup", "SRE group").replace("hardwaremodel", "hardware model"),
    )
    if isinstance(item, dict):
        name = item.get("hostname") or item.get("name")
        if isinstance(name, str):
            return f"{label} '{name}'"
    return f"{label} #{index + 1}"


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, ...]:
    """Keys allowed at `loc` inside `model` (walks nested model fields)."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        field = current.model_fields.get(step) if hasattr(current, "model_fields") else None
        if field is None:
            return ()
        current = _inner_model(field.annotation)
        if current is None:
            return ()
    return tuple(current.model_fields) if hasattr(current, "model_fields") else ()


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(key: str, allowed: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'? allowed keys: {', '.join(allowed)}"
    return f"remove it; allowed keys: {', '.join(allowed)}" if allowed else "remove it"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_hint(kind: str, message: str) -> str:
    if kind.startswith("enum"):
        return "use one of the values listed"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value inside the allowed range"
    if kind in ("string_type", "int_type", "int_parsing", "bool_type", "list_type", "dict_type", "model_type"):
        return "write a value of the expected type (quote strings that YAML would read otherwise)"
    if kind == "date_from_datetime_parsing" or kind.startswith("date"):
        return "write the date as YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        return "match the pattern shown"
    return "correct the value as the message says"
