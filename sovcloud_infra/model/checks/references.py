"""Resolve every reference between stack objects, and report those that dangle.

A reference to an object that exists but failed its own validation is not
reported again: the schema problem already says what to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Network


def _dangling(
    sink: ProblemSink, region: Region, what: str, kind: str, name: str, known: Iterable[str], at: Location
) -> None:
    if (kind, name) in region.invalid_names:
        return
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else ""
    hint += (
        f" known {kind}s: {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}"
        if names
        else f" define the {kind} first"
    )
    sink.add("dangling-reference", f"{what} refers to unknown {kind} '{name}'", at, hint.strip())


def resolve(region: Region, sink: ProblemSink) -> None:
    datacenters = {d.name: d for d in region.datacenters}
    models = {m.name: m for m in region.hardware_models}
    networks = {n.name: n for n in region.networks}
    classes = {c.name for c in region.hypervisor_classes}
    tiers = {t.name for t in region.storage_tiers}

    for rack in region.racks:
        dc = datacenters.get(rack.datacenter)
        if dc is None:
            _dangling(sink, region, f"rack '{rack.name}'", "datacenter", rack.datacenter, datacenters, rack.at)
        rack._datacenter = dc
    # Hosts of a rack whose datacenter is unknown cannot be placed; keep them out of later checks.
    region.hosts = [h for h in region.hosts if h._rack is not None and h._rack._datacenter is not None]

    for net in region.networks:
        if net.datacenter is not None and net.datacenter not in datacenters:
            _dangling(sink, region, f"network '{net.name}'", "datacenter", net.datacenter, datacenters, net.at)

    for host in region.hosts:
        who = f"host '{host.hostname}'"
        model = models.get(host.hardware)
        if model is None:
            _dangling(sink, region, who, "hardware model", host.hardware, models, host.at)
        host._hardware = model
        if host.hypervisor_class is not None and host.hypervisor_class not in classes:
            _dangling(sink, region, who, "hypervisor class", host.hypervisor_class, classes, host.at)
        bonds = {b.name for b in host.bonds}
        nics = {n.name for n in host.nics}
        for nic in host.nics:
            if nic.bond is not None and nic.bond not in bonds:
                _dangling(sink, region, f"{who} NIC '{nic.name}'", "bond", nic.bond, bonds, nic.at)
        for bond in host.bonds:
            if not any(n.bond == bond.name for n in host.nics):
                sink.add(
                    "empty-bond",
                    f"{who}: bond '{bond.name}' has no member NIC",
                    bond.at,
                    f"set 'bond: {bond.name}' on its member NICs, or remove the bond",
                )
        for att in host.networks:
            target: Network | None = networks.get(att.network)
            if target is None:
                _dangling(sink, region, who, "network", att.network, networks, att.at)
            elif (
                target.datacenter is not None
                and target.datacenter in datacenters  # an unknown one is reported once, on the network
                and target.datacenter != host.rack.datacenter
            ):
                sink.add(
                    "network-out-of-scope",
                    f"{who} in datacenter '{host.rack.datacenter}' is attached to network '{target.name}', "
                    f"which exists only in datacenter '{target.datacenter}'",
                    att.at,
                    "attach the host to its own datacenter's network of that purpose",
                )
                target = None
            att._network = target
            if att.interface not in nics | bonds:
                _dangling(
                    sink,
                    region,
                    f"{who} attachment to '{att.network}'",
                    "interface",
                    att.interface,
                    nics | bonds,
                    att.at,
                )
            elif att.interface in nics and any(n.name == att.interface and n.bond for n in host.nics):
                sink.add(
                    "attachment-on-bond-member",
                    f"{who}: network '{att.network}' is attached to NIC '{att.interface}', which is a bond member",
                    att.at,
                    "attach the network to the bond instead",
                )

    for tenant in region.tenants:
        for tier in tenant.storage_tiers:
            if tier not in tiers:
                _dangling(sink, region, f"tenant '{tenant.name}'", "storage tier", tier, tiers, tenant.at)
