"""Run the read-only audit playbook and turn its ansible-runner events into per-host audits.

The catalogue's checks go to the playbook per level, as base64 JSON: Ansible
templates strings in extra variables, and a shell check such as ``${#x}`` or
``{{`` would be read as Jinja. Each host's module run returns its evidence and
the inventory context it was judged with (level, groups, waivers), so the
evaluation uses exactly the variables Ansible saw.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovcloud_infra.audit.evaluate import evaluate_host
from sovcloud_infra.audit.results import AuditReport, HostAudit
from sovcloud_infra.hardening.catalogue import LEVELS, Catalogue, Status
from sovcloud_infra.hosts.runner import plain, run_playbook

AUDIT_PLAYBOOK = "playbooks/audit.yml"
MODULE = "sovcloud_evidence"


def checks_for_level(catalogue: Catalogue, level: str) -> list[dict[str, Any]]:
    """What the evidence module must collect for a host of `level`: the automated controls' checks."""
    return [
        {
            "id": ctl.id,
            "check": ctl.check.model_dump(mode="json", exclude_none=True),
            "skip_in_container": ctl.container == "not-applicable",
        }
        for rec in catalogue.for_level(level)
        if rec.status == Status.automated
        for ctl in rec.controls
        if ctl.check is not None
    ]


def encode_checks(checks: list[dict[str, Any]]) -> str:
    return base64.b64encode(json.dumps(checks, separators=(",", ":")).encode()).decode("ascii")


def audit_extravars(catalogue: Catalogue) -> dict[str, Any]:
    """The playbook's input: ``sovcloud_audit_checks_b64`` (level -> encoded checks)."""
    return {"sovcloud_audit_checks_b64": {level: encode_checks(checks_for_level(catalogue, level)) for level in LEVELS}}


@dataclass
class Collected:
    """What the playbook gave for one host."""

    host: str
    evidence: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    seconds: float | None = None
    errors: list[str] = field(default_factory=list)
    unreachable: bool = False


def collected_from_events(events: Iterable[dict[str, Any]], hosts: Iterable[str] = ()) -> dict[str, Collected]:
    """Per-host evidence, failures and unreachability from ansible-runner events."""
    found: dict[str, Collected] = {h: Collected(h) for h in hosts}
    for event in events:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        host = data.get("host")
        if not host or kind not in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            continue
        entry = found.setdefault(host, Collected(host))
        result = data.get("res") or {}
        if kind == "runner_on_unreachable":
            entry.unreachable = True
            entry.errors.append(f"unreachable: {str(result.get('msg', '')).strip()}")
        elif kind == "runner_on_failed":
            entry.errors.append(f"{data.get('task', '?')}: {str(result.get('msg', '')).strip()}")
        elif "evidence" in result and str(data.get("task_action", MODULE)).endswith(MODULE):
            entry.evidence = result["evidence"]
            entry.context = result.get("context") or {}
            entry.changed = bool(result.get("changed"))
            entry.seconds = result.get("seconds")
    return found


def host_audit(catalogue: Catalogue, collected: Collected, today: dt.date | None = None) -> HostAudit:
    if collected.errors or collected.evidence is None:
        error = "; ".join(collected.errors) or "the evidence module returned nothing"
        return HostAudit(host=collected.host, error=error, unreachable=collected.unreachable)
    audit = evaluate_host(catalogue, collected.host, collected.evidence, collected.context, today)
    audit.changed = collected.changed
    audit.collect_seconds = collected.seconds
    return audit


def run_audit(
    stack: str,
    catalogue: Catalogue,
    *,
    inventory: Path,
    limit: str | None = None,
    check: bool = True,
    today: dt.date | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> AuditReport:
    """Audit the hosts of `inventory` (optionally `limit`ed): never changes a host, never raises for a host.

    `stack` names the run (and the fact cache); check mode is on by default, so
    even a task added to the playbook by mistake could not change anything.
    """
    started = dt.datetime.now(dt.UTC)
    result = run_playbook(
        stack,
        AUDIT_PLAYBOOK,
        check=check,
        limit=limit,
        inventory=inventory,
        extravars=audit_extravars(catalogue),
        keep_events=True,
        on_event=on_event,
    )
    collected = collected_from_events(result.events, result.hosts)
    report = AuditReport(
        stack=stack,
        catalogue_version=catalogue.version,
        generated=started.isoformat(timespec="seconds"),
        seconds=round(result.seconds, 2),
        check_mode=check,
        limit=limit,
        hosts=[host_audit(catalogue, c, today) for _, c in sorted(collected.items())],
    )
    if not collected:
        if result.rc != 0:
            tail = plain(result.output_tail).strip()
            report.errors.append(f"the audit playbook failed before reaching any host (rc={result.rc}):\n{tail}")
        else:
            report.errors.append(f"no host to audit{f' (--limit {limit!r} matches none)' if limit else ''}")
    return report
