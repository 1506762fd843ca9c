"""One host's audit: every control of its hardening level, judged on its evidence.

The order of the rules matters and is the audit's policy:

1. a manual or organisational recommendation is `manual`, with the catalogue's reason;
2. a control that cannot apply in a container, on a container, is `not-applicable` with the
   catalogue's reason (a fact about the host, whatever waivers say);
3. a control waived for one of the host's groups (by its ID or its recommendation's), not
   expired, is `waived` with the justification, owner and expiry - and still evaluated, so
   the report shows what the waiver hides;
4. a control without an audit check is `manual`;
5. otherwise the check decides `pass` or `fail` (or `not-applicable` for a mount point that
   is not a separate partition).

Nothing but a check that holds is ever `pass`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sovcloud_infra.audit.checks import evaluate_check
from sovcloud_infra.audit.results import ControlResult, HostAudit, ResultStatus, Waiver
from sovcloud_infra.hardening.catalogue import LEVELS, Catalogue, Control, Recommendation, Status


def active_waiver(
    waivers: Sequence[Waiver], control_id: str, recommendation_id: str, groups: Sequence[str], today: dt.date
) -> tuple[Waiver | None, list[Waiver]]:
    """The waiver in force for a control on a host, and the expired ones that would have matched."""
    host_groups = {"all", *groups}
    matching = [w for w in waivers if w.control in (control_id, recommendation_id) and w.host_group in host_groups]
    valid = [w for w in matching if dt.date.fromisoformat(w.expires) >= today]
    expired = [w for w in matching if w not in valid]
    # The most specific waiver speaks for the control: its own ID before its recommendation's.
    valid.sort(key=lambda w: w.control != control_id)
    return (valid[0] if valid else None), expired


def evaluate_host(
    catalogue: Catalogue,
    host: str,
    evidence: Mapping[str, Any],
    context: Mapping[str, Any],
    today: dt.date | None = None,
) -> HostAudit:
    """The audit of `host` at the level its inventory gives (`context`: level, host_groups, waivers)."""
    today = today or dt.date.today()
    level = str(context.get("level") or "")
    groups = [str(g) for g in context.get("host_groups") or []]
    virt = evidence.get("virt") or {}
    container = str(virt.get("type")) if virt.get("container") else None
    audit = HostAudit(host=host, level=level or None, host_groups=groups, container=container)
    if level not in LEVELS:
        audit.error = f"unknown hardening level {level!r} (expected one of {', '.join(LEVELS)})"
        return audit
    try:
        # YAML group_vars may give dates as dates; the inventory gives ISO strings.
        waivers = [Waiver.model_validate({k: str(v) for k, v in w.items()}) for w in context.get("waivers") or []]
        for waiver in waivers:
            dt.date.fromisoformat(waiver.expires)
    except ValueError as exc:
        audit.error = f"malformed sovcloud_waivers: {exc}"
        return audit
    known = catalogue.ids()
    audit.warnings += [
        f"waiver for unknown control {w.control} (group {w.host_group})" for w in waivers if w.control not in known
    ]
    audit.warnings += [f"evidence: {e}" for e in evidence.get("errors") or []]
    for rec in catalogue.for_level(level):
        if rec.status != Status.automated:
            audit.results += _manual(rec, rec.reason or f"{rec.status.value} recommendation")
            continue
        if not rec.controls:
            audit.warnings.append(f"{rec.id} is automated but has no sub-control in the catalogue")
            audit.results += _manual(rec, "automated, but the catalogue has no checkable sub-control yet")
            continue
        for ctl in rec.controls:
            audit.results.append(_control(rec, ctl, evidence, container, waivers, groups, today, audit))
    return audit


def _base(rec: Recommendation, control_id: str, title: str) -> dict[str, Any]:
    return {
        "control": control_id,
        "recommendation": rec.id,
        "title": title,
        "recommendation_title": rec.title,
        "level": rec.level,
        "area": rec.area,
        "secnumcloud": list(rec.secnumcloud),
    }


def _manual(rec: Recommendation, reason: str) -> list[ControlResult]:
    targets = [(c.id, c.title) for c in rec.controls] or [(rec.id, rec.title)]
    return [
        ControlResult(**_base(rec, cid, title), status=ResultStatus.manual, reason=reason) for cid, title in targets
    ]


def _control(
    rec: Recommendation,
    ctl: Control,
    evidence: Mapping[str, Any],
    container: str | None,
    waivers: Sequence[Waiver],
    groups: Sequence[str],
    today: dt.date,
    audit: HostAudit,
) -> ControlResult:
    base = _base(rec, ctl.id, ctl.title)
    waiver, expired = active_waiver(waivers, ctl.id, rec.id, groups, today)
    notes: dict[str, Any] = {}
    if expired:
        notes["expired_waivers"] = [w.model_dump() for w in expired]
        audit.warnings += [f"{ctl.id}: waiver for {w.host_group} expired on {w.expires}" for w in expired]
    if container and ctl.container == "not-applicable":
        reason = ctl.container_reason or "cannot apply inside a container"
        return ControlResult(
            **base,
            status=ResultStatus.not_applicable,
            reason=f"container ({container}): {reason}",
            evidence={"container": container, **notes},
            waiver=waiver,
        )
    verdict = evaluate_check(ctl.check, dict(evidence)) if ctl.check is not None else None
    seen = {**(verdict.evidence if verdict else {}), **notes}
    if waiver is not None:
        without = verdict.status if verdict else "no check"
        return ControlResult(
            **base,
            status=ResultStatus.waived,
            reason=f"{waiver.justification} (owner {waiver.owner}, expires {waiver.expires})",
            summary=f"without the waiver: {without}" + (f" - {verdict.summary}" if verdict else ""),
            evidence={**seen, "status_without_waiver": without},
            waiver=waiver,
        )
    if verdict is None:
        reason = ctl.remediation_reason or "the catalogue has no audit check for this control"
        return ControlResult(**base, status=ResultStatus.manual, reason=reason, evidence=seen)
    status = ResultStatus(verdict.status)
    why = verdict.summary if status != ResultStatus.passed else None
    return ControlResult(**base, status=status, reason=why, summary=verdict.summary, evidence=seen)
