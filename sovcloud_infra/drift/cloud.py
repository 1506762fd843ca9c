"""The cloud half: a refreshing Pulumi preview through the Automation API, as resources and properties that differ.

``stack.preview(refresh=True, diff=True)`` reads every resource from the cloud
first, then compares the program with what it read: what it would change is
what drifted. A preview writes nothing to the state or the cloud; the stack is
*selected*, never created (creating one would write to the backend).

Without the Pulumi CLI or OpenStack credentials the half cannot run:
`cloud_preconditions` says why, and the CLI makes that an error when ``--cloud``
was asked for explicitly, and a skipped half otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from sovcloud_infra.cloud.render import project_settings, stack_config
from sovcloud_infra.drift.redact import REDACTED, is_secret_name, redact_value
from sovcloud_infra.drift.results import CloudDrift, PropertyChange, ResourceDrift
from sovcloud_infra.policy.backend import backend_verdict
from sovcloud_infra.stacks import PROJECT_ROOT

NO_CLI = (
    "the Pulumi CLI is not installed (no 'pulumi' on PATH): the cloud half needs it and the OpenStack plugin "
    "(docs/production.md, docs/drift.md)"
)
NO_CREDENTIALS = (
    "no OpenStack credentials: set OS_CLOUD (an entry of clouds.yaml) or OS_AUTH_URL and the OS_* variables, "
    "or name a clouds.yaml entry in the stack's openstack:cloud with a clouds.yaml present (docs/drift.md)"
)
# Operations that mean the cloud differs from the program (after the refresh): the rest (same, read, ...)
# are not drift. Ranked: a resource gets the most significant operation of its steps.
DRIFT_OPS = ("replace", "create-replacement", "delete-replaced", "create", "delete", "update", "refresh")
_OP_RANK = {op: rank for rank, op in enumerate(DRIFT_OPS)}
_SUMMARY_OPS = ("replace", "create", "delete", "update")
_CLOUDS_YAML = (
    Path("clouds.yaml"),
    Path.home() / ".config" / "openstack" / "clouds.yaml",
    Path("/etc/openstack/clouds.yaml"),
)


def _stack_config(stack: str, project_root: Path) -> dict[str, str]:
    """The stack's plain configuration as the program reads it; an unreadable file is no credentials here (the
    preview itself would report it)."""
    try:
        return stack_config(project_settings(project_root)[1], stack)
    except (OSError, yaml.YAMLError):
        return {}


def has_openstack_credentials(stack: str, env: Mapping[str, str], project_root: Path = PROJECT_ROOT) -> bool:
    """OS_CLOUD / OS_AUTH_URL in the environment, or the stack's provider config pointing at credentials."""
    if env.get("OS_CLOUD") or env.get("OS_AUTH_URL"):
        return True
    config = _stack_config(stack, project_root)
    if config.get("openstack:authUrl"):
        return True
    if config.get("openstack:cloud"):
        files = [Path(env["OS_CLIENT_CONFIG_FILE"])] if env.get("OS_CLIENT_CONFIG_FILE") else []
        return any(p.is_file() for p in [*files, *_CLOUDS_YAML])
    return False


def cloud_preconditions(
    stack: str, env: Mapping[str, str] | None = None, project_root: Path = PROJECT_ROOT
) -> str | None:
    """None when the cloud half can run, else why not (CLI missing, no credentials, a foreign backend)."""
    env = os.environ if env is None else env
    if shutil.which("pulumi", path=env.get("PATH")) is None:
        return NO_CLI
    if not has_openstack_credentials(stack, env, project_root):
        return NO_CREDENTIALS
    backend = env.get("PULUMI_BACKEND_URL")
    if backend and (why := backend_verdict(backend)):
        return f"PULUMI_BACKEND_URL is not a self-managed backend in the EU: {why}"
    return None


def _split_path(path: str) -> list[str | int]:
    """``a.b[0]["c.d"]`` -> ['a', 'b', 0, 'c.d'] (Pulumi's property path syntax)."""
    parts: list[str | int] = []
    for match in re.finditer(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[\]]+)', path):
        quoted, index, name = match.groups()
        parts.append(int(index) if index is not None else quoted if quoted is not None else name)
    return parts


def _lookup(data: Any, path: str) -> Any:
    for part in _split_path(path):
        if isinstance(data, list) and isinstance(part, int):
            if part >= len(data):
                return None
            data = data[part]
        elif isinstance(data, Mapping) and isinstance(part, str):
            if part not in data:
                return None
            data = data[part]
        else:
            return None
    return data


def _value(state: Any, path: str, inputs: bool) -> Any:
    if state is None:
        return None
    source = state.inputs if inputs else (state.outputs or state.inputs)
    value = _lookup(source or {}, path)
    leaf = str(_split_path(path)[-1]) if _split_path(path) else ""
    if is_secret_name(leaf) and value not in (None, ""):
        return REDACTED
    return redact_value(value)


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _kind(diff: Any) -> str:
    kind = getattr(diff, "diff_kind", diff)
    return str(getattr(kind, "value", kind))


def resource_from_step(metadata: Any) -> ResourceDrift | None:
    """A drifted resource from a `StepEventMetadata` (None for a step that is not drift)."""
    op = str(getattr(metadata.op, "value", metadata.op))
    if op not in _OP_RANK:
        return None
    detailed = metadata.detailed_diff or {}
    paths = list(detailed) or list(metadata.diffs or [])
    if op in ("update", "refresh") and not paths:
        return None  # a refresh that found nothing new, or an update without a property change
    if op == "refresh":
        # A refresh step compares the recorded state (old) with what it read from the cloud (new).
        cloud_state, wanted, wanted_inputs = metadata.new, metadata.old, False
    else:
        # Any other step compares the refreshed state (old) with what the program declares (new inputs).
        cloud_state, wanted, wanted_inputs = metadata.old, metadata.new, True
    properties = [
        PropertyChange(
            path=path,
            kind=_kind(detailed[path]) if path in detailed else "update",
            old=_value(cloud_state, path, inputs=False),
            new=_value(wanted, path, inputs=wanted_inputs),
        )
        for path in paths
    ]
    return ResourceDrift(
        urn=metadata.urn,
        type=metadata.type,
        name=_name(metadata.urn),
        op=op,
        properties=properties,
        replace_keys=list(metadata.keys or []) if op in ("replace", "create-replacement") else [],
    )


def resources_from_events(events: Iterable[Any]) -> list[ResourceDrift]:
    """Drifted resources from the engine events (`EngineEvent`s), one per URN, most significant op first."""
    by_urn: dict[str, ResourceDrift] = {}
    for event in events:
        pre = getattr(event, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            continue
        found = resource_from_step(pre.metadata)
        if found is None:
            continue
        known = by_urn.get(found.urn)
        if known is None:
            by_urn[found.urn] = found
            continue
        if _OP_RANK[found.op] < _OP_RANK[known.op]:
            known.op, known.replace_keys = found.op, found.replace_keys or known.replace_keys
        # A program step's view of a property (cloud vs program) wins over a refresh step's (cloud vs state).
        if found.op == "refresh":
            known.properties += [p for p in found.properties if p.path not in {k.path for k in known.properties}]
        else:
            fresh = {p.path for p in found.properties}
            known.properties = [p for p in known.properties if p.path not in fresh] + found.properties
    return sorted(by_urn.values(), key=lambda r: (r.type, r.name))


def _summary(change_summary: Mapping[Any, int] | None) -> dict[str, int]:
    return {str(getattr(op, "value", op)): int(n) for op, n in (change_summary or {}).items()}


def _stderr_tail(text: str, lines: int = 20) -> str:
    return "\n".join(line for line in text.strip().splitlines()[-lines:])


def run_cloud_drift(
    stack: str,
    *,
    project_root: Path = PROJECT_ROOT,
    on_output: Callable[[str], None] | None = None,
) -> CloudDrift:
    """Preview the stack with a refresh and report what differs; never raises for a cloud or CLI problem."""
    from pulumi import automation as auto

    started = time.monotonic()
    events: list[Any] = []
    report = CloudDrift(stack=stack)
    try:
        selected = auto.select_stack(stack_name=stack, work_dir=str(project_root))
        result = selected.preview(refresh=True, diff=True, color="never", on_event=events.append, on_output=on_output)
    except FileNotFoundError:
        report.error = NO_CLI
    except auto.StackNotFoundError:
        report.error = (
            f"the stack '{stack}' does not exist in the selected Pulumi backend (the drift check never creates one: "
            "check PULUMI_BACKEND_URL or `pulumi login`)"
        )
    except auto.CommandError as exc:
        report.error = "pulumi preview failed: " + _stderr_tail(str(getattr(exc, "stderr", "") or exc))
    except auto.InvalidVersionError as exc:
        report.error = f"the Pulumi CLI is too old for the SDK: {exc}"
    else:
        report.change_summary = _summary(result.change_summary)
        report.resources = resources_from_events(events)
        if not report.resources and any(report.change_summary.get(op) for op in _SUMMARY_OPS):
            # The summary counts changes the events did not describe: say so rather than read "no drift".
            report.error = f"the preview reports changes {report.change_summary} but no step event described them"
    report.seconds = round(time.monotonic() - started, 2)
    return report
