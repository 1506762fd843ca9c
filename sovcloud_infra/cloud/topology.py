"""What the program derives from the region model, as plain data (no Pulumi here).

Grouping hosts is done once per region, so building the cloud stays linear in
the number of hosts however many racks, zones and classes there are: the
program itself creates resources per zone, rack, class, network and tenant,
never per host (aggregates carry their host lists as a property).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field

from sovcloud_infra.model.ipam import bmc_network, host_range
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import HostRole, Network, NetworkPurpose

REGION_SCOPE = "region"


@dataclass
class Topology:
    """Hypervisor hostnames grouped the ways Nova aggregates need them (each list sorted)."""

    by_datacenter: dict[str, list[str]] = field(default_factory=dict)
    by_rack: dict[str, list[str]] = field(default_factory=dict)
    by_class: dict[str, list[str]] = field(default_factory=dict)
    used_addresses: dict[str, set[str]] = field(default_factory=dict)
    """Network name -> every address the region's IPAM gives a host (attachments and BMCs)."""


def topology(region: Region) -> Topology:
    """Group the region's hypervisors by datacenter, rack and class, and collect used addresses."""
    by_dc: dict[str, list[str]] = defaultdict(list)
    by_rack: dict[str, list[str]] = defaultdict(list)
    by_class: dict[str, list[str]] = defaultdict(list)
    used: dict[str, set[str]] = defaultdict(set)
    for host in region.hosts:
        for att in host.networks:
            used[att.net.name].add(str(att.ip.ip))
        if host.bmc_ip is not None and (bmc := bmc_network(region, host)) is not None:
            used[bmc.name].add(str(host.bmc_ip.ip))
        if HostRole.hypervisor not in host.roles:
            continue
        by_dc[host.rack.datacenter].append(host.hostname)
        by_rack[host.rack.name].append(host.hostname)
        if host.hypervisor_class:
            by_class[host.hypervisor_class].append(host.hostname)
    return Topology(
        by_datacenter={k: sorted(v) for k, v in by_dc.items()},
        by_rack={k: sorted(v) for k, v in by_rack.items()},
        by_class={k: sorted(v) for k, v in by_class.items()},
        used_addresses=dict(used),
    )


def neutron_physical_network(net: Network) -> str:
    """The Neutron physical network name of a model network.

    The model lets two datacenters reuse a VLAN ID on a physical network of the
    same name, because each datacenter is its own L2 domain. Neutron allocates
    (physical network, VLAN) pairs region-wide, so a datacenter-scoped network
    maps to a physical network named after its datacenter too. The hosts'
    ``bridge_mappings`` must use the same names (docs/production.md).
    """
    return net.physical_network if net.datacenter is None else f"{net.physical_network}-{net.datacenter}"


def scope(net: Network) -> str:
    return net.datacenter or REGION_SCOPE


def allocation_pools(net: Network, used: set[str]) -> list[tuple[str, str]]:
    """Neutron allocation pools: the declared ones, else every address the region's IPAM never hands out.

    Infrastructure networks declare no pools; Neutron would then allocate from
    the whole subnet and could give a port an address a host already has. The
    complement excludes the network, broadcast and gateway addresses, the host
    range and every explicit host address.
    """
    if net.allocation_pools:
        return [(p.start, p.end) for p in net.allocation_pools]
    cidr = ipaddress.IPv4Network(net.cidr)
    low, high = int(cidr.network_address), int(cidr.broadcast_address)
    if cidr.num_addresses > 2:
        low, high = low + 1, high - 1
    first, last = host_range(net)
    taken = [(int(first), int(last))]
    taken += [(int(ipaddress.IPv4Address(a)),) * 2 for a in (*used, *([net.gateway] if net.gateway else []))]
    pools: list[tuple[str, str]] = []
    cursor = low
    for start, end in sorted(taken):
        if start > cursor:
            pools.append((str(ipaddress.IPv4Address(cursor)), str(ipaddress.IPv4Address(min(start - 1, high)))))
        cursor = max(cursor, end + 1)
        if cursor > high:
            break
    if cursor <= high:
        pools.append((str(ipaddress.IPv4Address(cursor)), str(ipaddress.IPv4Address(high))))
    return [(a, b) for a, b in pools if ipaddress.IPv4Address(a) <= ipaddress.IPv4Address(b)]


def dhcp_enabled(net: Network) -> bool:
    """Neutron DHCP only on tenant-facing provider networks.

    Hosts on infrastructure networks have static addresses, and a Neutron DHCP
    agent on the management or BMC VLAN would answer the provisioning system's
    clients; external networks only carry router gateways and floating IPs.
    """
    return net.purpose == NetworkPurpose.provider
