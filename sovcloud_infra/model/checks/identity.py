"""Names, hostnames, MACs and other identifiers that must be unique."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region


def _unique(sink: ProblemSink, code: str, kind: str, items: Iterable[tuple[str, str, Location]], hint: str) -> None:
    """Report each value seen twice; items are (value, description of owner, location)."""
    seen: dict[str, tuple[str, Location]] = {}
    for value, owner, at in items:
        if value in seen:
            first_owner, first_at = seen[value]
            owners = f"{first_owner} and {owner}" if first_owner != owner else owner
            sink.add(code, f"{kind} '{value}' is used twice ({owners})", at, hint, (first_at,))
        else:
            seen[value] = (owner, at)


def check(region: Region, sink: ProblemSink) -> None:
    named: dict[str, list[Any]] = {
        "datacenter": region.datacenters,
        "hardware model": region.hardware_models,
        "network": region.networks,
        "storage tier": region.storage_tiers,
        "hypervisor class": region.hypervisor_classes,
        "tenant": region.tenants,
        "SRE group": region.sre_groups,
        "rack": region.racks,
    }
    for kind, objects in named.items():
        _unique(
            sink,
            "duplicate-name",
            f"{kind} name",
            ((o.name, f"{kind} '{o.name}'", o.at) for o in objects),
            f"give each {kind} its own name",
        )
    _unique(
        sink,
        "duplicate-name",
        "availability zone",
        ((d.zone, f"datacenter '{d.name}'", d.at) for d in region.datacenters),
        "each datacenter is its own availability zone: give it a distinct availability_zone",
    )
    _unique(
        sink,
        "duplicate-rack-index",
        "rack index",
        ((str(r.index), f"rack '{r.name}'", r.at) for r in region.racks),
        "rack indexes must be unique in the region (host addresses derive from them): take an unused one",
    )
    _unique(
        sink,
        "duplicate-hostname",
        "hostname",
        ((h.hostname, f"rack '{h.rack.name}'", h.at) for h in region.hosts),
        "hostnames are unique in the region: rename one host",
    )
    macs: list[tuple[str, str, Location]] = []
    for host in region.hosts:
        macs.extend((n.mac, f"host '{host.hostname}' {n.name}", n.at) for n in host.nics)
        if host.bmc.mac:
            macs.append((host.bmc.mac, f"host '{host.hostname}' BMC", host.bmc.at))
        _unique(
            sink,
            "duplicate-interface",
            "interface name",
            [(i.name, f"host '{host.hostname}'", i.at) for i in host.nics]
            + [(b.name, f"host '{host.hostname}'", b.at) for b in host.bonds],
            "each NIC and bond of a host needs its own name",
        )
        _unique(
            sink,
            "duplicate-attachment",
            "network",
            ((a.network, f"host '{host.hostname}'", a.at) for a in host.networks),
            "attach a host to each network once",
        )
        _unique(
            sink,
            "duplicate-disk",
            "disk",
            ((d.ident, f"host '{host.hostname}'", d.at) for d in host.disks),
            "list each disk once (device paths and serials are unique per host)",
        )
    _unique(
        sink,
        "duplicate-mac",
        "MAC address",
        macs,
        "MAC addresses are unique: copy the right one from the hardware inventory",
    )
    _unique(
        sink,
        "duplicate-user",
        "SRE account",
        ((m.name, f"group '{g.name}'", m.at) for g in region.sre_groups for m in g.members),
        "define each person once, in one SRE group",
    )
