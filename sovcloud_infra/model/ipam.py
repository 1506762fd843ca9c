"""Address management: explicit addresses, and stable allocation for the rest.

An allocated address is a pure function of the host's own physical position:

    address = host_range.start + (rack.index - 1) * RACK_BLOCK + (position_u - 1)

so adding, removing or reordering other hosts can never move it (validation
guarantees that no two hosts share a rack unit, and rack indexes are unique).
This is the rack-and-unit addressing many datacenters use; it needs no state
file and a person can predict an address from the rack plan. A host that
moves in the rack changes address, as it changes cabling.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Host, Network, NetworkPurpose

RACK_BLOCK = 64
"""Addresses reserved per rack and network: one per rack unit (racks are at most 64U)."""
RESERVED_LOW = 16
"""Addresses at the bottom of a network kept for gateways, VIPs and services when no host_range is given."""

IPv4 = ipaddress.IPv4Address


@lru_cache(maxsize=4096)
def parse_cidr(cidr: str) -> ipaddress.IPv4Network:
    """Parsed network, cached: parsing dominates allocation time for large regions."""
    return ipaddress.IPv4Network(cidr)


def host_range(network: Network) -> tuple[IPv4, IPv4]:
    """First and last address that allocation may hand out on `network`."""
    net = parse_cidr(network.cidr)
    if network.host_range is not None:
        return IPv4(network.host_range.start), IPv4(network.host_range.end)
    first = net.network_address + min(RESERVED_LOW, max(net.num_addresses - 2, 1))
    return first, net.broadcast_address - 1


def position_offset(rack_index: int, position_u: int) -> int:
    """Offset of a rack position inside a network's host range."""
    return (rack_index - 1) * RACK_BLOCK + (position_u - 1)


def allocate(network: Network, rack_index: int, position_u: int) -> IPv4 | None:
    """The address of the host at (`rack_index`, `position_u`), or None if the range is too small."""
    first, last = host_range(network)
    offset = position_offset(rack_index, position_u)
    if int(first) + offset > int(last):
        return None
    return first + offset


def bmc_network(region: Region, host: Host) -> Network | None:
    """The BMC network serving the host's datacenter (a datacenter-scoped one first)."""
    candidates = [n for n in region.networks if n.purpose == NetworkPurpose.bmc]
    for net in candidates:
        if net.datacenter == host.rack.datacenter:
            return net
    return next((n for n in candidates if n.datacenter is None), None)


def assign_addresses(region: Region, sink: ProblemSink) -> None:
    """Give every resolved attachment and BMC its address; report conflicts and misfits."""
    used: dict[tuple[str, IPv4], tuple[str, Location]] = {}
    indexes = [r.index for r in region.racks]
    shared_index = {i for i in indexes if indexes.count(i) > 1} if len(set(indexes)) < len(indexes) else set()
    for host in region.hosts:
        for att in host.networks:
            if not att.resolved:
                continue
            ip = _address_for(att.net, host, att.address, att.at, sink, f"host '{host.hostname}'")
            if ip is None:
                continue
            att._ip = ipaddress.IPv4Interface(f"{ip}/{parse_cidr(att.net.cidr).prefixlen}")
            # Collisions that only echo a duplicate rack index (already reported) are not reported again.
            echo = att.address is None and host.rack.index in shared_index
            _claim(used, att.net, ip, host.hostname, att.at, sink, report=not echo)
        _assign_bmc(region, host, used, sink)


def _assign_bmc(
    region: Region, host: Host, used: dict[tuple[str, IPv4], tuple[str, Location]], sink: ProblemSink
) -> None:
    net = bmc_network(region, host)
    if net is None:
        has_bmc_networks = any(n.purpose == NetworkPurpose.bmc for n in region.networks)
        if host.bmc.address is None and not has_bmc_networks:
            return  # a region without any BMC network and no BMC address (the lab): nothing to do
        address = f" for its BMC address {host.bmc.address}" if host.bmc.address else ""
        sink.add(
            "no-bmc-network",
            f"host '{host.hostname}': no BMC network serves datacenter '{host.rack.datacenter}'{address}",
            host.bmc.field_at("address") if host.bmc.address else host.at,
            "add a network with purpose 'bmc' scoped to that datacenter (or region-wide) whose CIDR holds the "
            "BMC addresses; the host firewall and the audit need it",
        )
        return
    ip = _address_for(net, host, host.bmc.address, host.bmc.at, sink, f"host '{host.hostname}' BMC")
    if ip is None:
        return
    host._bmc_ip = ipaddress.IPv4Interface(f"{ip}/{parse_cidr(net.cidr).prefixlen}")
    _claim(used, net, ip, f"{host.hostname} (BMC)", host.bmc.at, sink)


def _address_for(
    net: Network, host: Host, explicit: str | None, at: Location, sink: ProblemSink, who: str
) -> IPv4 | None:
    network = parse_cidr(net.cidr)
    if explicit is None:
        ip = allocate(net, host.rack.index, host.position_u)
        if ip is not None and net.gateway is not None and ip == IPv4(net.gateway):
            sink.add(
                "address-on-gateway",
                f"{who}: the address allocated on network '{net.name}' ({ip}) is the network's gateway",
                at,
                "move the gateway out of the host range (or set host_range), or give this host an explicit address",
            )
            return None
        if ip is None:
            first, last = host_range(net)
            sink.add(
                "network-exhausted",
                f"{who}: network '{net.name}' ({first}-{last}) has no room for rack index "
                f"{host.rack.index} unit {host.position_u}",
                at,
                f"widen the network's cidr or host_range (needs {position_offset(host.rack.index, host.position_u) + 1}"
                " addresses), or give this host an explicit address",
            )
        return ip
    ip = IPv4(explicit)
    if ip not in network:
        sink.add(
            "address-outside-network",
            f"{who}: address {ip} is outside network '{net.name}' ({network})",
            at,
            f"use an address inside {network}, or attach the host to the network that contains {ip}",
        )
        return None
    if ip in (network.network_address, network.broadcast_address) and network.prefixlen < 31:
        kind = "network" if ip == network.network_address else "broadcast"
        sink.add(
            "address-reserved",
            f"{who}: address {ip} is the {kind} address of '{net.name}' ({network})",
            at,
            "use a host address of the network",
        )
        return None
    if net.gateway is not None and ip == IPv4(net.gateway):
        sink.add(
            "address-on-gateway",
            f"{who}: address {ip} is the gateway of network '{net.name}'",
            at,
            "pick another address, or drop 'address' to have one allocated",
        )
        return None
    return ip


def _claim(
    used: dict[tuple[str, IPv4], tuple[str, Location]],
    net: Network,
    ip: IPv4,
    who: str,
    at: Location,
    sink: ProblemSink,
    report: bool = True,
) -> None:
    key = (net.name, ip)
    if key in used:
        other, other_at = used[key]
        if other == who or not report:
            return  # the same host attached twice: duplicate-attachment says it
        sink.add(
            "duplicate-address",
            f"address {ip} on network '{net.name}' is used by both '{other}' and '{who}'",
            at,
            "give one of them another explicit address; allocated addresses follow rack index and unit, "
            "so an explicit address inside the host range can collide with an allocated one",
            (other_at,),
        )
        return
    used[key] = (who, at)


def allocated_addresses(network: Network, positions: Iterable[tuple[int, int]]) -> list[IPv4 | None]:
    """Allocation for many (rack_index, position_u) at once; used by tests and tools."""
    return [allocate(network, r, u) for r, u in positions]
