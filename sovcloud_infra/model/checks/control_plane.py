"""The control plane's virtual addresses: on the right network, and never an address someone else may hold.

A VIP that allocation can hand to a host, or that a host already has, makes
two machines answer ARP for one address: the API flaps and nothing says why.
"""

from __future__ import annotations

import ipaddress

from sovcloud_infra.model.ipam import host_range
from sovcloud_infra.model.problems import Location, ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Attachment, HostRole, Network, NetworkPurpose, _priv


def check(region: Region, sink: ProblemSink) -> None:
    """Report VIPs off their network or on an address a host, a gateway or a pool may hold."""
    plane = region.info.control_plane
    if plane is None or sink:
        # With problems already reported, networks or hosts may be missing (an item that failed its
        # schema): comparing the VIPs with a partial region would only produce echoes.
        return
    wanted = [("internal_vip", plane.internal_vip, NetworkPurpose.management)]
    if plane.external_vip is not None:
        wanted.append(("external_vip", plane.external_vip, NetworkPurpose.external))
    for key, vip, purpose in wanted:
        at = plane.field_at(key)
        net = _network_of(region.networks, vip, purpose)
        if net is None:
            candidates = ", ".join(f"{n.name} ({n.cidr})" for n in region.networks if n.purpose == purpose)
            sink.add(
                "vip-outside-network",
                f"control_plane.{key} {vip} is on no {purpose.value} network",
                at,
                f"pick an address inside a {purpose.value} network: {candidates or 'the region has none'}",
            )
            continue
        _vip_is_free(region, key, vip, net, at, sink)
    if not any(HostRole.controller in h.roles for h in region.hosts):
        sink.add(
            "vip-without-controllers",
            "control_plane is declared but no host has the controller role to hold its addresses",
            plane.at,
            "give the controllers the 'controller' role, or remove control_plane",
        )


def _network_of(networks: list[Network], address: str, purpose: NetworkPurpose) -> Network | None:
    ip = ipaddress.IPv4Address(address)
    return next((n for n in networks if n.purpose == purpose and ip in ipaddress.IPv4Network(n.cidr)), None)


def _vip_is_free(region: Region, key: str, vip: str, net: Network, at: Location, sink: ProblemSink) -> None:
    ip = ipaddress.IPv4Address(vip)
    cidr = ipaddress.IPv4Network(net.cidr)
    first, last = host_range(net)
    fix = f"pick an address of {net.name} outside its host range ({first}-{last}) and allocation pools"
    reserved = {cidr.network_address, cidr.broadcast_address}
    if net.gateway:
        reserved.add(ipaddress.IPv4Address(net.gateway))
    if ip in reserved:
        what = f"control_plane.{key} {vip} is the network address, broadcast or gateway of {net.name}"
        sink.add("vip-in-use", what, at, fix)
        return
    for host in region.hosts:
        for attachment in host.networks:
            if attachment.network == net.name and _priv_ip(attachment) == ip:
                what = f"control_plane.{key} {vip} is the address of host {host.hostname} on {net.name}"
                sink.add("vip-in-use", what, at, fix, (attachment.at,))
                return
    if first <= ip <= last:
        sink.add("vip-in-use", f"control_plane.{key} {vip} is inside the host range of {net.name} ({first}-{last}), "
                 "so allocation may give it to a host", at, fix)  # fmt: skip
        return
    for pool in net.allocation_pools:
        if ipaddress.IPv4Address(pool.start) <= ip <= ipaddress.IPv4Address(pool.end):
            sink.add("vip-in-use", f"control_plane.{key} {vip} is inside an allocation pool of {net.name} "
                     f"({pool.start}-{pool.end}), so Neutron may give it to a port", at, fix)  # fmt: skip
            return


def _priv_ip(attachment: Attachment) -> ipaddress.IPv4Address | None:
    """The attachment's address, or None when allocation could not give it one (already reported)."""
    ip: ipaddress.IPv4Interface | None = _priv(attachment, "_ip")
    return ip.ip if ip is not None else None
