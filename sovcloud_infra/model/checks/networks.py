"""The address and VLAN plan: overlaps, reuse, gateways, ranges and MTUs."""

from __future__ import annotations

import ipaddress
import itertools

from sovcloud_infra.model.ipam import host_range
from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import AddressRange, Host, Network


def check(region: Region, sink: ProblemSink) -> None:
    _overlapping_cidrs(region.networks, sink)
    _vlan_reuse(region.networks, sink)
    for net in region.networks:
        _gateway_and_ranges(net, sink)
    for host in region.hosts:
        _mtu_fits_nics(host, sink)


def _overlapping_cidrs(networks: list[Network], sink: ProblemSink) -> None:
    spans = sorted(
        ((ipaddress.IPv4Network(n.cidr), n) for n in networks),
        key=lambda pair: (int(pair[0].network_address), -pair[0].prefixlen),
    )
    widest: tuple[ipaddress.IPv4Network, Network] | None = None
    for cidr, net in spans:
        if widest is not None and int(cidr.network_address) <= int(widest[0].broadcast_address):
            other_cidr, other = widest
            sink.add(
                "overlapping-cidr",
                f"network '{net.name}' ({cidr}) overlaps network '{other.name}' ({other_cidr})",
                net.at,
                "give each network its own, non-overlapping CIDR",
                (other.at,),
            )
        if widest is None or int(cidr.broadcast_address) > int(widest[0].broadcast_address):
            widest = (cidr, net)


def _vlan_reuse(networks: list[Network], sink: ProblemSink) -> None:
    """A VLAN ID may appear once per physical network and scope (region-wide scope meets every datacenter)."""
    seen: dict[tuple[str, int], list[Network]] = {}
    for net in networks:
        if net.vlan is None:
            continue
        for other in seen.get((net.physical_network, net.vlan), []):
            if other.datacenter is None or net.datacenter is None or other.datacenter == net.datacenter:
                sink.add(
                    "vlan-reused",
                    f"VLAN {net.vlan} on physical network '{net.physical_network}' is used by both "
                    f"'{other.name}' and '{net.name}'",
                    net.at,
                    "pick an unused VLAN ID (1-4094) or another physical network",
                    (other.at,),
                )
                break
        seen.setdefault((net.physical_network, net.vlan), []).append(net)


def _gateway_and_ranges(net: Network, sink: ProblemSink) -> None:
    cidr = ipaddress.IPv4Network(net.cidr)
    if net.gateway is not None:
        gw = ipaddress.IPv4Address(net.gateway)
        if gw not in cidr:
            sink.add(
                "gateway-outside-network",
                f"network '{net.name}': gateway {gw} is outside {cidr}",
                net.at,
                f"use an address inside {cidr} (usually the first: {cidr.network_address + 1})",
            )
        elif gw in (cidr.network_address, cidr.broadcast_address) and cidr.prefixlen < 31:
            sink.add(
                "address-reserved",
                f"network '{net.name}': gateway {gw} is the network or broadcast address of {cidr}",
                net.at,
                f"use a host address (usually {cidr.network_address + 1})",
            )
    ranges: list[tuple[str, AddressRange]] = [("host_range", net.host_range)] if net.host_range else []
    ranges += [(f"allocation_pools[{i}]", p) for i, p in enumerate(net.allocation_pools)]
    bounds: list[tuple[ipaddress.IPv4Address, ipaddress.IPv4Address, str, Location]] = []
    if net.host_range is None and net.allocation_pools:
        # Hosts would be allocated from the default range: it must not meet Neutron's pools either.
        first, last = host_range(net)
        bounds.append((first, last, f"the default host range {first}-{last}", net.at))
    for label, rng in ranges:
        start, end = ipaddress.IPv4Address(rng.start), ipaddress.IPv4Address(rng.end)
        if start not in cidr or end not in cidr:
            sink.add(
                "range-outside-network",
                f"network '{net.name}': {label} {start}-{end} is not inside {cidr}",
                rng.at,
                f"keep ranges inside {cidr.network_address + 1}-{cidr.broadcast_address - 1}",
            )
            continue
        if net.gateway is not None and start <= ipaddress.IPv4Address(net.gateway) <= end:
            sink.add(
                "range-contains-gateway",
                f"network '{net.name}': {label} {start}-{end} contains the gateway {net.gateway}",
                rng.at,
                "start the range after the gateway",
            )
        bounds.append((start, end, label, rng.at))
    bounds.sort(key=lambda b: (b[0], b[1]))
    for (s1, e1, l1, _at1), (s2, _e2, l2, at2) in itertools.pairwise(bounds):
        if s2 <= e1:
            sink.add(
                "overlapping-ranges",
                f"network '{net.name}': {l2} overlaps {l1} ({s1}-{e1}); Neutron and the host allocator "
                "would hand out the same addresses",
                at2,
                "make host_range and allocation_pools disjoint (set host_range explicitly, outside the pools)",
            )


def _mtu_fits_nics(host: Host, sink: ProblemSink) -> None:
    for att in host.networks:
        if not att.resolved:
            continue
        members = [n for n in host.nics if n.name == att.interface or (n.bond and n.bond == att.interface)]
        for nic in members:
            if att.net.mtu > nic.max_mtu:
                sink.add(
                    "mtu-exceeds-nic",
                    f"host '{host.hostname}': network '{att.net.name}' needs MTU {att.net.mtu} "
                    f"but NIC '{nic.name}' carries at most {nic.max_mtu}",
                    att.at,
                    f"attach the network to a NIC with max_mtu >= {att.net.mtu}, or lower the network's mtu",
                    (nic.at,),
                )
