"""Exceptions to the rules: each one justified, owned and still valid."""

from __future__ import annotations

import datetime as dt

from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Waiver

_PLACEHOLDERS = {"todo", "tbd", "n/a", "na", "none", "-", "?", "xxx", "fixme"}


def _check_waiver(waiver: Waiver, what: str, sink: ProblemSink, today: dt.date, at: Location) -> None:
    if waiver.justification.strip().lower() in _PLACEHOLDERS:
        sink.add(
            "waiver-unjustified",
            f"{what}: justification {waiver.justification!r} is a placeholder",
            at,
            "say why the control cannot apply and what compensates for it",
        )
    if waiver.owner.strip().lower() in _PLACEHOLDERS:
        sink.add(
            "waiver-unowned",
            f"{what}: owner {waiver.owner!r} is a placeholder",
            at,
            "name the person or team accountable for the exception",
        )
    if waiver.expires < today:
        sink.add(
            "waiver-expired",
            f"{what}: expired on {waiver.expires.isoformat()}",
            at,
            "review the exception: fix the host so it complies, or renew the waiver with a new expiry date",
        )


def check(region: Region, sink: ProblemSink, today: dt.date) -> None:
    for waiver in region.hardening.waivers:
        _check_waiver(waiver, f"waiver of {waiver.control} for {waiver.host_group}", sink, today, waiver.at)
    for tier in region.storage_tiers:
        if tier.encrypted:
            continue
        if tier.encryption_waiver is None:
            sink.add(
                "unencrypted-tier",
                f"storage tier '{tier.name}' is not encrypted and has no encryption_waiver",
                tier.at,
                "set encrypted: true (SecNumCloud 10.1), or add an encryption_waiver with justification, "
                "owner and expires",
            )
        else:
            w = tier.encryption_waiver
            _check_waiver(w, f"encryption waiver of storage tier '{tier.name}'", sink, today, w.at)
