"""The host half: the site playbook in check and diff mode, plus the hardening audit, per host and control.

`changes_from_events` turns ansible-runner events into the tasks that would
change each host (with their diffs, secrets redacted), failures and
unreachable hosts; `host_drift` merges that with the host's audit into one
result per control ID; `run_host_drift` runs both playbooks on real hosts.

Control IDs come from the task tags, which ansible-runner's events do not carry:
`sovcloud_infra.drift.tags.TagIndex` maps each event's ``task_path`` back to the
tags of the task in the project's YAML. A task without a catalogue ID in its tags
is reported under the control ``untagged``.

A ``no_log`` task's result reaches the events censored (``{"censored": ...}``,
no ``changed`` key, no diff); whether it would change the host is then read from
the event's own display line (``changed: [host]``), and its diff is never shown.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovcloud_infra.audit.results import AuditReport, HostAudit, ResultStatus
from sovcloud_infra.drift.redact import redact_text, redact_value
from sovcloud_infra.drift.results import UNTAGGED, ControlDrift, DriftStatus, HostDrift, HostsDrift, TaskChange
from sovcloud_infra.drift.tags import TagIndex
from sovcloud_infra.hardening.catalogue import CONTROL_ID_PATTERN, RECOMMENDATION_ID_PATTERN, Catalogue
from sovcloud_infra.hosts.runner import plain, run_playbook
from sovcloud_infra.model import Region

SITE_PLAYBOOK = "playbooks/site.yml"
_RESULT_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable")
_AUDIT_DRIFT = frozenset({ResultStatus.failed})
_AUDIT_SKIPPED = frozenset({ResultStatus.waived, ResultStatus.not_applicable, ResultStatus.manual})


@dataclass
class HostChanges:
    """What the check-mode run saw on one host."""

    host: str
    changes: list[TaskChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unreachable: bool = False
    controls_seen: set[str] = field(default_factory=set)
    """Control IDs of every task that ran on the host (changed or not): the controls checked."""


def _diff_text(diff: Any) -> str | None:
    """Ansible's ``diff`` (a dict or a list of dicts: before/after/headers, or ``prepared``) as a unified diff."""
    entries = diff if isinstance(diff, list) else [diff] if isinstance(diff, dict) else []
    parts: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("prepared"):
            parts.append(str(entry["prepared"]).rstrip("\n"))
            continue
        if "before" not in entry and "after" not in entry:
            continue
        before, after = entry.get("before", ""), entry.get("after", "")
        if not isinstance(before, str) or not isinstance(after, str):
            before = json.dumps(before, indent=2, sort_keys=True, default=str) + "\n"
            after = json.dumps(after, indent=2, sort_keys=True, default=str) + "\n"
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"before: {entry.get('before_header', '')}".rstrip(": "),
            tofile=f"after: {entry.get('after_header', '')}".rstrip(": "),
        )
        parts.append("".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n"))
    text = "\n".join(p for p in parts if p)
    return redact_text(text) if text else None


def _is_handler_path(task_path: Any) -> bool:
    """A task defined in a role's handlers/ (ansible-runner does not always flag handler results as such)."""
    return isinstance(task_path, str) and "/handlers/" in task_path


def _censored(result: Mapping[str, Any]) -> bool:
    return "censored" in result and "changed" not in result


def _changed(event: Mapping[str, Any], result: Mapping[str, Any]) -> bool:
    if _censored(result):
        # Ansible hid the result; its display line still says `changed: [host]` or `ok: [host]`.
        return plain(str(event.get("stdout", ""))).lstrip().startswith("changed:")
    return bool(result.get("changed"))


def _diff_of(result: Mapping[str, Any]) -> Any:
    if "diff" in result:
        return result["diff"]
    items = result.get("results")
    if isinstance(items, list):  # a loop: one diff per item that changed
        return [
            d for item in items if isinstance(item, dict) and item.get("changed") for d in _as_list(item.get("diff"))
        ]
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


#: SecNumCloud requirements the baseline roles tag their tasks with (e.g. ``snc_12_8``, time sources).
_SECNUMCLOUD_TAG = re.compile(r"^snc_\d+(_\d+)*$")
#: Tags that are control IDs when no catalogue is at hand: the catalogue's own ID shapes, and SecNumCloud tags.
_CONTROL_TAGS = (re.compile(RECOMMENDATION_ID_PATTERN), re.compile(CONTROL_ID_PATTERN), _SECNUMCLOUD_TAG)


def control_ids(tags: Iterable[str], known: set[str] | None) -> list[str]:
    """The tags that are control IDs (catalogue IDs when `known` is given, and SecNumCloud tags), sorted."""
    if known is None:
        return sorted(t for t in tags if any(p.match(t) for p in _CONTROL_TAGS))
    return sorted(t for t in tags if t in known or _SECNUMCLOUD_TAG.match(t))


def changes_from_events(
    events: Iterable[Mapping[str, Any]],
    tags: TagIndex | None = None,
    known_controls: set[str] | None = None,
    hosts: Iterable[str] = (),
) -> dict[str, HostChanges]:
    """Per host: the tasks check mode says would change it, failures and unreachability."""
    found: dict[str, HostChanges] = {h: HostChanges(h) for h in hosts}
    handlers: set[str] = set()
    for event in events:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_handler_task_start":
            handlers.add(str(data.get("task_uuid")))
        host = data.get("host")
        if not host or kind not in _RESULT_EVENTS:
            continue
        entry = found.setdefault(host, HostChanges(host))
        result = data.get("res") or {}
        task = str(data.get("task") or data.get("task_action") or "?")
        if kind == "runner_on_unreachable":
            entry.unreachable = True
            entry.errors.append(f"unreachable: {redact_text(str(result.get('msg', '')).strip())}")
            continue
        if kind == "runner_on_failed":
            if not data.get("ignore_errors"):
                message = "the result is hidden (no_log)" if _censored(result) else str(result.get("msg", "")).strip()
                entry.errors.append(f"task '{task}' failed in check mode: {redact_text(message)}")
            continue
        handler = str(data.get("task_uuid")) in handlers or _is_handler_path(data.get("task_path"))
        if kind == "runner_on_ok" and handler:
            # A handler runs because a task changed, which is reported with its controls already: in check mode
            # it only echoes that change (and handlers carry no control tags).
            continue
        controls = control_ids(tags.tags_of(data.get("task_path")) if tags else set(), known_controls)
        entry.controls_seen.update(controls)
        if not _changed(event, result):
            continue
        censored = _censored(result)
        entry.changes.append(
            TaskChange(
                task=task,
                task_path=data.get("task_path"),
                action=data.get("resolved_action") or data.get("task_action"),
                role=data.get("role"),
                controls=controls,
                diff=None if censored else _diff_text(redact_value(_diff_of(result))),
                censored=censored,
            )
        )
    return found


def host_drift(
    changes: HostChanges,
    audit: HostAudit | None,
    catalogue: Catalogue | None = None,
    rack: str | None = None,
    datacenter: str | None = None,
) -> HostDrift:
    """One host's result: every control checked (tasks that ran, audit results), drifted when a task would
    change it or the audit fails it; an unreachable host or a failed task is an error for this host."""
    errors = list(changes.errors)
    if audit is not None and audit.error and not changes.unreachable:
        errors.append(f"audit: {audit.error}")
    by_control: dict[str, ControlDrift] = {}

    def control(control_id: str) -> ControlDrift:
        if control_id not in by_control:
            by_control[control_id] = ControlDrift(
                control=control_id, title=_title(catalogue, control_id), status=DriftStatus.ok
            )
        return by_control[control_id]

    for control_id in changes.controls_seen:
        control(control_id)
    failing = {r.control for r in (audit.results if audit is not None else []) if r.status in _AUDIT_DRIFT}
    for change in changes.changes:
        # A task that serves many controls (one sysctl.d file for forty parameters) is blamed on those of its
        # controls that the audit finds failing on this host, when there are any: that names the one that
        # drifted instead of all forty. Otherwise on all of them.
        blamed = [c for c in change.controls if c in failing] or change.controls
        for control_id in blamed or [UNTAGGED]:
            entry = control(control_id)
            entry.status = DriftStatus.drifted
            entry.tasks.append(change.task)
    for result in audit.results if audit is not None else []:
        entry = control(result.control)
        entry.audit = result.status.value
        entry.audit_summary = result.summary or result.reason
        if result.status in _AUDIT_DRIFT:
            entry.status = DriftStatus.drifted
        elif result.status in _AUDIT_SKIPPED and entry.status == DriftStatus.ok and not entry.tasks:
            entry.status = DriftStatus.skipped
    return HostDrift(
        host=changes.host,
        rack=rack,
        datacenter=datacenter,
        error="; ".join(errors) or None,
        unreachable=changes.unreachable or bool(audit and audit.unreachable),
        changes=changes.changes,
        controls=sorted(by_control.values(), key=lambda c: _control_key(c.control)),
    )


def _title(catalogue: Catalogue | None, control_id: str) -> str | None:
    if catalogue is None or control_id == UNTAGGED:
        return None
    try:
        return catalogue.control(control_id).title
    except KeyError:
        try:
            return catalogue.recommendation_of(control_id).title
        except KeyError:
            return None


def _control_key(control_id: str) -> tuple[int, str, int, str]:
    """R2 < R12 < SSH-R3 < untagged."""
    match = re.match(r"^(SSH-)?R(\d+)(.*)$", control_id)
    if not match:
        return (2, control_id, 0, "")
    return (1 if match[1] else 0, "", int(match[2]), match[3])


def merge(
    changes: Mapping[str, HostChanges],
    audit: AuditReport | None,
    catalogue: Catalogue | None,
    racks: Mapping[str, tuple[str, str]] | None = None,
) -> list[HostDrift]:
    """Every host either run saw, sorted by rack then name; `racks` maps host -> (rack, datacenter)."""
    audits = {h.host: h for h in audit.hosts} if audit else {}
    names = sorted(set(changes) | set(audits))
    racks = racks or {}
    result = []
    for name in names:
        rack, dc = racks.get(name, (None, None))
        result.append(host_drift(changes.get(name, HostChanges(name)), audits.get(name), catalogue, rack, dc))
    return sorted(result, key=lambda h: (h.rack or "~", h.host))


def racks_of(region: Region) -> dict[str, tuple[str, str]]:
    """host -> (rack, datacenter) from a loaded `Region` (what the inventory's rack_* groups say)."""
    return {h.hostname: (h.rack.name, h.rack.datacenter) for h in region.hosts}


def run_host_drift(
    stack: str,
    catalogue: Catalogue,
    *,
    inventory: Path,
    racks: Mapping[str, tuple[str, str]] | None = None,
    limit: str | None = None,
    with_audit: bool = True,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> HostsDrift:
    """Check the hosts of `inventory` against the site playbook (check + diff) and the audit; never changes
    a host, never raises for a host. This is the function to call on a live lab."""
    from sovcloud_infra.audit import run_audit

    started = dt.datetime.now(dt.UTC)
    result = run_playbook(
        stack,
        SITE_PLAYBOOK,
        check=True,
        diff=True,
        limit=limit,
        inventory=inventory,
        keep_events=True,
        on_event=on_event,
    )
    index = TagIndex.build()
    changes = changes_from_events(result.events, index, catalogue.ids(), result.hosts)
    audit = run_audit(stack, catalogue, inventory=inventory, limit=limit) if with_audit else None
    report = HostsDrift(
        playbook=SITE_PLAYBOOK,
        seconds=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 2),
        hosts=merge(changes, audit, catalogue, racks),
    )
    if not changes:
        if result.rc != 0:
            tail = plain(result.output_tail).strip()
            report.errors.append(f"the site playbook failed before reaching any host (rc={result.rc}):\n{tail}")
        else:
            report.errors.append(f"no host to check{f' (--limit {limit!r} matches none)' if limit else ''}")
    if audit is not None:
        report.errors.extend(f"audit: {e}" for e in audit.errors)
    return report
