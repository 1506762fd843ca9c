"""From the region model to the lab: what to boot, and how Ansible connects to it.

The lab boots a region exactly as the model describes it: one host per model
host, one NIC per model NIC (with its MAC), plugged into one bridge per
physical network, the management address configured so SSH works from the
first second, and the model's SRE accounts installed with the lab's own
operator key added for the member marked ``lab_operator``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sovcloud_infra.lab.paths import LabPaths, lab_tag
from sovcloud_infra.lab.spec import LabBridge, LabHostSpec, LabNic, LabSpec, LabUser
from sovcloud_infra.model import Region
from sovcloud_infra.model.schema import Host, Member, Network, NetworkPurpose


class LabModelError(Exception):
    """The region cannot be booted as a lab (says why and how to fix it)."""


def operator_member(region: Region) -> Member:
    """The SRE account the lab logs in as: the member marked ``lab_operator`` (else the first sudo member)."""
    members = [(g, m) for g in region.sre_groups for m in g.members]
    for _, member in members:
        if member.lab_operator:
            return member
    for group, member in members:
        if group.sudo:
            return member
    raise LabModelError("the region has no SRE member with sudo: add one and mark it 'lab_operator: true'")


def bridge_name(region: Region, physical_network: str) -> str:
    """A bridge per physical network: ``scb`` + lab tag + index, within the 15-character limit."""
    physnets = sorted({n.physical_network for n in region.networks})
    return f"scb{lab_tag(region.name)}{physnets.index(physical_network):x}"


def _bridge_network(networks: list[Network]) -> Network:
    """The network the machine's address on a bridge belongs to: the first with a gateway, else the first."""
    for net in networks:
        if net.gateway:
            return net
    return networks[0]


def _bridge_address(networks: list[Network]) -> str:
    """The machine's address on a bridge: a network's gateway, else the first address of its first network."""
    net = _bridge_network(networks)
    if net.gateway:
        return f"{net.gateway}/{ipaddress.IPv4Network(net.cidr).prefixlen}"
    first = ipaddress.IPv4Network(net.cidr)
    return f"{first.network_address + 1}/{first.prefixlen}"


def spec_from_region(region: Region) -> LabSpec:
    """The lab that boots `region`: bridges per physical network, hosts with the model's NICs and MACs."""
    management = region.networks_for(NetworkPurpose.management)
    if not management:
        raise LabModelError("the region has no management network: the lab reaches its hosts there")
    by_physnet: dict[str, list[Network]] = {}
    for net in region.networks:
        by_physnet.setdefault(net.physical_network, []).append(net)
    used_physnets = {a.net.physical_network for h in region.hosts for a in h.networks}
    bridges = tuple(
        LabBridge(
            name=bridge_name(region, physnet),
            gateway_cidr=_bridge_address(nets),
            mtu=max(n.mtu for n in nets),
            self_vlan=_bridge_network(nets).vlan,
        )
        for physnet, nets in sorted(by_physnet.items())
        if physnet in used_physnets
    )
    hosts = tuple(_host_spec(region, host) for host in region.hosts)
    operator = operator_member(region)
    users = [LabUser(name=operator.name, pubkeys=tuple(operator.ssh_keys), sudo=True)]
    return LabSpec(
        name=region.name,
        bridges=bridges,
        hosts=hosts,
        users=tuple(users),
        mirror_bridge=bridge_name(region, management[0].physical_network),
    )


def _host_spec(region: Region, host: Host) -> LabHostSpec:
    mgmt = host.attachment(NetworkPurpose.management)
    if mgmt is None:
        raise LabModelError(f"host '{host.hostname}' has no management attachment")
    mgmt_nics = [n for n in host.nics if n.name == mgmt.interface]
    if not mgmt_nics:
        raise LabModelError(
            f"host '{host.hostname}': the lab needs the management network on a plain NIC, not on {mgmt.interface}"
        )
    physnet_of_nic: dict[str, str] = {}
    vlans_of_nic: dict[str, list[int | None]] = {}
    for att in host.networks:
        for nic in host.nics:
            if nic.name == att.interface or nic.bond == att.interface:
                physnet_of_nic.setdefault(nic.name, att.net.physical_network)
                vlans_of_nic.setdefault(nic.name, []).append(att.net.vlan)
    nics = []
    # The management NIC first: the runtime configures its address and SSH goes there.
    for nic in [*mgmt_nics, *(n for n in host.nics if n.name != mgmt.interface)]:
        physnet = physnet_of_nic.get(nic.name)
        if physnet is None:
            continue  # a NIC that carries no network stays unplugged, as an uncabled port
        is_mgmt = nic.name == mgmt.interface
        # The host networking convention (roles/networking): one network on an
        # interface = untagged access port; several = an 802.1Q trunk.
        # A network without a VLAN id is flat on its physical network: a plain port.
        carried = vlans_of_nic[nic.name]
        vlans = sorted({v for v in carried if v is not None})
        if len(carried) != len(vlans):
            vlans = []
        nics.append(
            LabNic(
                name=nic.name,
                bridge=bridge_name(region, physnet),
                mac=nic.mac,
                address_cidr=str(mgmt.ip) if is_mgmt else None,
                mtu=mgmt.net.mtu if is_mgmt else nic.max_mtu,
                access_vlan=vlans[0] if len(vlans) == 1 else None,
                trunk_vlans=tuple(vlans) if len(vlans) > 1 else (),
            )
        )
    return LabHostSpec(hostname=host.hostname, nics=tuple(nics), default_gateway=mgmt.net.gateway)


def ansible_connection_vars(region: Region) -> dict[str, Any]:
    """Host variables that make Ansible connect to the lab as the named operator, with pinned host keys."""
    paths = LabPaths.for_lab(region.name)
    operator = operator_member(region)
    pub = paths.operator_key.with_name(paths.operator_key.name + ".pub")
    extra_keys = {operator.name: [pub.read_text().strip()]} if pub.exists() else {}
    return {
        "ansible_user": operator.name,
        "ansible_ssh_private_key_file": str(paths.operator_key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={paths.known_hosts} -o StrictHostKeyChecking=yes "
        "-o IdentitiesOnly=yes",
        "common_extra_authorized_keys": extra_keys,
    }
