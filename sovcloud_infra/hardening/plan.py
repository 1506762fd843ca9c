"""What the hardening role enforces on one host: the catalogue filtered by level, waivers and container.

The role asks this module (through its lookup plugin) for a plan, so the level
rules, the waiver matching and the container exceptions live in one tested
place instead of Jinja. The audit reports the same outcomes from the same data.

Waiver matching: a waiver names a control ID (``R12.ip_forward``) or a whole
recommendation (``R12``); it applies to a host when its ``host_group`` is one
of the host's groups or ``all``. An expired waiver is an error, never a
silent enforcement or a silent exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sovcloud_infra.hardening.catalogue import LEVELS, Catalogue, Control, Recommendation, Status, load_catalogue

Waiver = Mapping[str, Any]


def waiver_matches(waiver_control: str, control_id: str) -> bool:
    """True when a waiver naming `waiver_control` covers `control_id` (same ID, or its recommendation)."""
    return waiver_control in (control_id, control_id.split(".", 1)[0])


def host_waivers(waivers: Iterable[Waiver], host_groups: Iterable[str]) -> list[Waiver]:
    """The waivers whose host group is one of the host's groups (or ``all``)."""
    groups = {"all", *host_groups}
    return [w for w in waivers if w.get("host_group") in groups]


def _expiry(waiver: Waiver) -> dt.date:
    value = waiver["expires"]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def expired_waivers(waivers: Iterable[Waiver], today: dt.date) -> list[Waiver]:
    """Waivers whose expiry date is before `today` (a waiver is valid through its expiry day)."""
    return [w for w in waivers if _expiry(w) < today]


def waiver_for(control_id: str, waivers: Iterable[Waiver]) -> Waiver | None:
    """The first waiver covering `control_id`, preferring one that names the control exactly."""
    waivers = list(waivers)
    exact = [w for w in waivers if w.get("control") == control_id]
    if exact:
        return exact[0]
    return next((w for w in waivers if waiver_matches(str(w.get("control", "")), control_id)), None)


def _entry(rec: Recommendation, ctl: Control) -> dict[str, Any]:
    return {
        "id": ctl.id,
        "recommendation": rec.id,
        "title": ctl.title,
        "level": rec.level,
        "check": ctl.check.model_dump() if ctl.check else None,
        "remediation": ctl.remediation,
    }


def build_plan(
    level: str,
    waivers: Iterable[Waiver],
    host_groups: Iterable[str],
    in_container: bool,
    catalogue: Catalogue | None = None,
    not_applicable: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every control of the catalogue sorted into what the role does with it on this host.

    - ``enforce``: automated, at or below the host's level, remediated by the role, not waived, applicable;
    - ``waived``: covered by a waiver of one of the host's groups (with the waiver's data);
    - ``not_applicable``: cannot apply in a container, or named in `not_applicable` (control or
      recommendation ID -> reason, e.g. R13 when the host uses IPv6), with the reason;
    - ``not_remediated``: checked by the audit only (with the reason);
    - ``above_level``: automated but above the host's level.
    Recommendations that are manual or organisational have no controls to enforce.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown hardening level {level!r}; use one of {', '.join(LEVELS)}")
    catalogue = catalogue or load_catalogue()
    mine = host_waivers(waivers, host_groups)
    rank = LEVELS.index(level)
    plan: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("enforce", "waived", "not_applicable", "not_remediated", "above_level")
    }
    for rec in catalogue.recommendations:
        if rec.status != Status.automated:
            continue
        for ctl in rec.controls:
            entry = _entry(rec, ctl)
            waiver = waiver_for(ctl.id, mine)
            host_reason = next((r for k, r in (not_applicable or {}).items() if waiver_matches(k, ctl.id)), None)
            if LEVELS.index(rec.level) > rank:
                plan["above_level"].append(entry)
            elif waiver is not None:
                plan["waived"].append({**entry, "waiver": dict(waiver)})
            elif host_reason is not None:
                plan["not_applicable"].append({**entry, "reason": host_reason})
            elif in_container and ctl.container == "not-applicable":
                plan["not_applicable"].append({**entry, "reason": ctl.container_reason})
            elif ctl.remediation == "none":
                plan["not_remediated"].append({**entry, "reason": ctl.remediation_reason})
            else:
                plan["enforce"].append(entry)
    return plan
