"""Groups and variables of the Ansible inventory, computed from a `Region`.

Groups: one per role (``controllers``, ``network_nodes``, ``hypervisors``,
``storage_nodes``), per datacenter (``dc_<name>``), per availability zone
(``az_<zone>``) and per rack (``rack_<name>``), all children of ``region_<name>``.
Dashes become underscores: Ansible warns on group names that are not valid
Python identifiers, and ``-e rack=...`` patterns read better that way.

Host variables carry the topology (addresses, NICs, bonds, disks, hypervisor
class, hardening level and waivers); region-wide data (services, SRE groups,
the host table for /etc/hosts) goes to the ``all`` group. Everything that is
not topology belongs in the stack's ``inventories/<stack>/group_vars/``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from sovcloud_infra.model import Region
from sovcloud_infra.model.schema import ROLE_GROUPS, Host, HostRole, NetworkPurpose


def group_name(prefix: str, name: str) -> str:
    """An Ansible-safe group name: ``rack_fr_par_1_dc1_r01``."""
    return f"{prefix}_{name}".replace("-", "_").replace(".", "_")


@dataclass
class Inventory:
    """Plain inventory data: groups with their hosts, children and vars, and per-host vars."""

    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    hostvars: dict[str, dict[str, Any]] = field(default_factory=dict)

    def group(self, name: str) -> dict[str, Any]:
        return self.groups.setdefault(name, {"hosts": [], "children": [], "vars": {}})

    def add_host(self, group: str, host: str) -> None:
        hosts = self.group(group)["hosts"]
        if host not in hosts:
            hosts.append(host)

    def add_child(self, parent: str, child: str) -> None:
        self.group(child)
        children = self.group(parent)["children"]
        if child not in children:
            children.append(child)


def build_inventory(region: Region, connection: dict[str, Any] | None = None) -> Inventory:
    """The inventory of `region`; `connection` adds connection vars to every host (the lab's)."""
    inv = Inventory()
    top = group_name("region", region.info.name)
    inv.group("all")["vars"].update(_region_vars(region))
    for role_group in ROLE_GROUPS.values():
        inv.add_child(top, role_group)
    for dc in region.datacenters:
        inv.add_child(top, group_name("dc", dc.name))
        inv.add_child(top, group_name("az", dc.zone))
        inv.group(group_name("dc", dc.name))["vars"].update(
            {"sovcloud_datacenter": dc.name, "sovcloud_availability_zone": dc.zone, "sovcloud_country": dc.country}
        )
    for rack in region.racks:
        inv.add_child(group_name("dc", rack.datacenter), group_name("rack", rack.name))
    for host in region.hosts:
        name = host.hostname
        for role_group in host.groups:
            inv.add_host(role_group, name)
        inv.add_host(group_name("rack", host.rack.name), name)
        inv.add_host(group_name("az", host.datacenter.zone), name)
        inv.hostvars[name] = {**_host_vars(region, host), **(connection or {})}
    return inv


def _region_vars(region: Region) -> dict[str, Any]:
    info = region.info
    services = info.services
    return {
        "sovcloud_region": {
            "name": info.name,
            "stack": region.name,
            "operator": info.operator,
            "dns_domain": info.dns_domain,
            "allowed_jurisdictions": list(info.allowed_jurisdictions),
        },
        "sovcloud_services": {
            "ntp_servers": list(services.ntp_servers),
            "dns_servers": list(services.dns_servers),
            "package_mirror": services.package_mirror,
            "security_mirror": services.security_mirror,
            "log_collectors": [c.model_dump() for c in services.log_collectors],
        },
        "sovcloud_control_plane": _control_plane(region),
        "sovcloud_sre_groups": [
            {
                "name": g.name,
                "sudo": g.sudo,
                "members": [
                    {"name": m.name, "full_name": m.full_name, "ssh_keys": list(m.ssh_keys)} for m in g.members
                ],
            }
            for g in region.sre_groups
        ],
        "sovcloud_hardening_levels": {k: v.value for k, v in region.hardening.levels.items()},
        "sovcloud_networks": {
            n.name: {
                "purpose": n.purpose.value,
                "cidr": n.cidr,
                "vlan": n.vlan,
                "mtu": n.mtu,
                "gateway": n.gateway,
                "physical_network": n.physical_network,
                "datacenter": n.datacenter,
            }
            for n in region.networks
        },
    }


def _control_plane(region: Region) -> dict[str, Any] | None:
    """The VIPs and the networks that hold them (the model's checks proved each VIP is on one)."""
    plane = region.info.control_plane
    if plane is None:
        return None

    def network_of(vip: str | None, purpose: NetworkPurpose) -> str | None:
        if vip is None:
            return None
        ip = ipaddress.IPv4Address(vip)
        return next(n.name for n in region.networks if n.purpose == purpose and ip in ipaddress.IPv4Network(n.cidr))

    return {
        **plane.model_dump(mode="json"),
        "internal_network": network_of(plane.internal_vip, NetworkPurpose.management),
        "external_network": network_of(plane.external_vip, NetworkPurpose.external),
    }


def bridges_of(host: Host) -> dict[str, str]:
    """Network purpose -> Linux bridge carrying it: a network node's external network is br-ex (Neutron's)."""
    return {NetworkPurpose.external.value: "br-ex"} if HostRole.network in host.roles else {}


def l3_devices(host: Host, bridges: dict[str, str]) -> dict[str, str]:
    """Network name -> the device holding the host's address on it (roles/networking's convention):
    the NIC or bond itself when it carries one network, ``vlan<ID>`` on a trunk, the bridge when bridged."""
    per_device: dict[str, int] = {}
    for a in host.networks:
        per_device[a.interface] = per_device.get(a.interface, 0) + 1
    names = {}
    for a in host.networks:
        device = a.interface if per_device[a.interface] == 1 else f"vlan{a.net.vlan}"
        names[a.network] = bridges.get(a.net.purpose.value, device)
    return names


def _host_vars(region: Region, host: Host) -> dict[str, Any]:
    mgmt = host.attachment(NetworkPurpose.management)
    bridges = bridges_of(host)
    devices = l3_devices(host, bridges)
    classes = {c.name: c for c in region.hypervisor_classes}
    hv_class = classes.get(host.hypervisor_class or "")
    return {
        "ansible_host": str(mgmt.ip.ip) if mgmt else None,
        "sovcloud_fqdn": f"{host.hostname}.{region.info.dns_domain}",
        "sovcloud_rack": host.rack.name,
        "sovcloud_rack_unit": host.position_u,
        "sovcloud_datacenter": host.datacenter.name,
        "sovcloud_availability_zone": host.datacenter.zone,
        "sovcloud_roles": [r.value for r in host.roles],
        "sovcloud_host_groups": host.groups,
        "sovcloud_hardware": {
            "model": host.model.name,
            "vendor": host.model.vendor,
            "cpu_threads": host.model.cpu.threads,
            "ram_gib": host.model.ram_gib,
        },
        "sovcloud_management_address": str(mgmt.ip.ip) if mgmt else None,
        "sovcloud_bmc_address": str(host.bmc_ip.ip) if host.bmc_ip else None,
        "sovcloud_nics": [{"name": n.name, "mac": n.mac, "bond": n.bond, "max_mtu": n.max_mtu} for n in host.nics],
        "sovcloud_bonds": [{"name": b.name, "mode": b.mode.value} for b in host.bonds],
        "sovcloud_interfaces": [
            {
                "network": a.network,
                "purpose": a.net.purpose.value,
                "device": a.interface,
                "l3_device": devices[a.network],
                "vlan": a.net.vlan,
                "address": str(a.ip),
                "gateway": a.net.gateway,
                "mtu": a.net.mtu,
            }
            for a in host.networks
        ],
        "sovcloud_bridges": bridges,
        "sovcloud_disks": [d.model_dump(mode="json") for d in host.disks],
        "sovcloud_hypervisor_class": hv_class.model_dump(mode="json", exclude={"flavors"}) if hv_class else None,
        "sovcloud_hardening_level": region.level_for(host).value,
        "sovcloud_waivers": region.waivers_for(host),
    }
