"""Synthetic regions of any size, for benchmarks, scale tests and the fr-par-1 sample.

The output is a real stack directory, valid by construction, shaped like a
production region: datacenters with their own management, BMC, storage,
replication and overlay networks, region-wide provider and external
networks, racks of hypervisors and storage nodes, controllers and network
nodes spread across the datacenters. Everything is derived from the
parameters, so the same call always writes the same files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXPIRY = dt.date(2027, 11, 30)


@dataclass(frozen=True)
class RegionShape:
    """The knobs of a synthetic region."""

    name: str = "synthetic"
    hosts: int = 120
    datacenters: int = 2
    hosts_per_rack: int = 16
    city: str = "Paris"
    country: str = "FR"

    @property
    def racks(self) -> int:
        return max(self.datacenters, -(-self.hosts // self.hosts_per_rack))


_KEYS = [
    (
        "alice",
        "Alice Martin",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFe7GLSHjCTnJ3WQ++9vOzlf5grOFN9Si5XMY6zZEka7 alice@sovcloud-ops",
    ),
    (
        "bob",
        "Bob Durand",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClLN77kAL7aNpmyqM4jmTklyYkuMu7+W3p/NAkYkcLr bob@sovcloud-ops",
    ),
]

_PER_DC = (
    # (suffix, purpose, vlan, physnet, second octet base, mtu)
    ("mgmt", "management", 100, "physnet-mgmt", 16, 1500),
    ("bmc", "bmc", 110, "physnet-oob", 32, 1500),
    ("storage", "storage", 120, "physnet-data", 48, 9000),
    ("repl", "storage-replication", 130, "physnet-data", 64, 9000),
    ("overlay", "tenant-overlay", 140, "physnet-data", 80, 9000),
)


def _dc_name(shape: RegionShape, index: int) -> str:
    return f"{shape.name}-dc{index + 1}"


def _network_prefix(shape: RegionShape) -> int:
    """Smallest prefix whose host range holds every rack's block of 64 addresses."""
    needed = shape.racks * 64 + 64
    prefix = 24
    while prefix > 8 and (1 << (32 - prefix)) < needed:
        prefix -= 1
    return prefix


def region_files(shape: RegionShape) -> dict[str, Any]:
    """The section files of the stack, as data (file name -> content)."""
    dcs = [_dc_name(shape, i) for i in range(shape.datacenters)]
    prefix = _network_prefix(shape)
    networks: list[dict[str, Any]] = []
    for d, dc in enumerate(dcs):
        for suffix, purpose, vlan, physnet, octet, mtu in _PER_DC:
            cidr = ipaddress.IPv4Network(f"10.{octet + d}.0.0/{prefix}")
            net: dict[str, Any] = {
                "name": f"{dc}-{suffix}",
                "purpose": purpose,
                "vlan": vlan,
                "physical_network": physnet,
                "cidr": str(cidr),
                "mtu": mtu,
                "datacenter": dc,
            }
            if purpose in ("management", "bmc"):
                net["gateway"] = str(cidr.network_address + 1)
            networks.append(net)
    networks.append(
        {
            "name": f"{shape.name}-provider",
            "purpose": "provider",
            "vlan": 200,
            "physical_network": "physnet-provider",
            "cidr": "172.20.0.0/20",
            "gateway": "172.20.0.1",
            "mtu": 1500,
            "host_range": {"start": "172.20.0.16", "end": "172.20.7.255"},
            "allocation_pools": [{"start": "172.20.8.0", "end": "172.20.15.254"}],
            "shared": True,
        }
    )
    networks.append(
        {
            "name": f"{shape.name}-ext",
            "purpose": "external",
            "vlan": 300,
            "physical_network": "physnet-ext",
            "cidr": "198.51.100.0/24",
            "gateway": "198.51.100.1",
            "mtu": 1500,
            "host_range": {"start": "198.51.100.16", "end": "198.51.100.79"},
            "allocation_pools": [{"start": "198.51.100.80", "end": "198.51.100.254"}],
            "external": True,
        }
    )
    mgmt0 = ipaddress.IPv4Network(networks[0]["cidr"])
    return {
        "region.yaml": {
            "region": {
                "name": shape.name,
                "operator": "Exemple Cloud Souverain SAS",
                "dns_domain": f"{shape.name}.infra.cloud.example.eu",
                "services": {
                    "ntp_servers": [str(mgmt0.network_address + 2), str(mgmt0.network_address + 3)],
                    "dns_servers": [str(mgmt0.network_address + 4), str(mgmt0.network_address + 5)],
                    "package_mirror": f"http://mirror.{shape.name}.infra.cloud.example.eu/debian",
                    "security_mirror": f"http://mirror.{shape.name}.infra.cloud.example.eu/debian-security",
                    "log_collectors": [
                        {"host": f"logs-{i}.{shape.name}.infra.cloud.example.eu", "port": 6514} for i in (1, 2)
                    ],
                },
            },
            "datacenters": [
                {
                    "name": dc,
                    "availability_zone": f"{shape.name}{chr(ord('a') + i)}",
                    "city": shape.city,
                    "country": shape.country,
                    "fire_zone": f"fz-{i + 1}",
                    "power_domain": f"pd-{i + 1}",
                }
                for i, dc in enumerate(dcs)
            ],
            "hardware_models": [
                {
                    "name": "compute-1u",
                    "vendor": "Generic",
                    "height_u": 1,
                    "power_w": 600,
                    "cpu": {"sockets": 2, "cores_per_socket": 32, "threads_per_core": 2},
                    "ram_gib": 768,
                },
                {
                    "name": "storage-2u",
                    "vendor": "Generic",
                    "height_u": 2,
                    "power_w": 700,
                    "cpu": {"sockets": 1, "cores_per_socket": 24, "threads_per_core": 2},
                    "ram_gib": 256,
                },
                {
                    "name": "control-1u",
                    "vendor": "Generic",
                    "height_u": 1,
                    "power_w": 450,
                    "cpu": {"sockets": 2, "cores_per_socket": 16, "threads_per_core": 2},
                    "ram_gib": 384,
                },
            ],
        },
        "networks.yaml": {"networks": networks},
        "catalog.yaml": {
            "storage_tiers": [
                {
                    "name": "ssd",
                    "backend": "ceph-ssd",
                    "encrypted": True,
                    "replication": 3,
                    "qos": {"total_iops_sec": 10000},
                },
                {
                    "name": "hdd",
                    "backend": "ceph-hdd",
                    "encrypted": True,
                    "replication": 3,
                    "qos": {"total_iops_sec": 1000},
                },
            ],
            "hypervisor_classes": [
                {
                    "name": "general",
                    "cpu_vendor": "amd",
                    "cpu_allocation_ratio": 4.0,
                    "reserved_host_cpus": 4,
                    "reserved_host_memory_mb": 16384,
                    "smt": "on",
                    "flavors": [{"vcpus": v, "ram_gib": v * 4, "disk_gb": 50} for v in (1, 2, 4, 8, 16)],
                },
                {
                    "name": "dedicated",
                    "cpu_vendor": "amd",
                    "cpu_allocation_ratio": 1.0,
                    "cpu_policy": "dedicated",
                    "reserved_host_cpus": 8,
                    "reserved_host_memory_mb": 32768,
                    "hugepages": {"size": "1G", "count": 640},
                    "smt": "off",
                    "flavors": [{"vcpus": v, "ram_gib": v * 8} for v in (2, 4, 8, 16, 32)],
                },
            ],
        },
        "tenants.yaml": {
            "tenants": [
                {
                    "name": "ministere-exemple",
                    "description": "A public-sector customer",
                    "quotas": {"instances": 200, "cores": 800, "ram_gib": 3200, "volumes": 400, "volume_gb": 100000},
                },
                {
                    "name": "hopital-exemple",
                    "description": "Health data hosting (HDS)",
                    "quotas": {"instances": 100, "cores": 400, "ram_gib": 1600},
                },
            ]
        },
        "access.yaml": {
            "sre_groups": [
                {
                    "name": "sre-core",
                    "sudo": True,
                    "openstack_roles": ["admin"],
                    "members": [{"name": n, "full_name": f, "ssh_keys": [k]} for n, f, k in _KEYS],
                },
            ]
        },
        "hardening.yaml": {"hardening": _hardening()},
    }


def _hardening() -> dict[str, Any]:
    def waiver(control: str, group: str, why: str, owner: str = "sre-core") -> dict[str, Any]:
        return {"control": control, "host_group": group, "justification": why, "owner": owner, "expires": EXPIRY}

    return {
        "default_level": "intermediary",
        "levels": {"controllers": "enhanced"},
        "waivers": [
            waiver("R12.ip_forward", "network_nodes", "Neutron L3 and DHCP agents route tenant traffic."),
            waiver("R12.ip_forward", "hypervisors", "OVS and Neutron agents on hypervisors forward tenant traffic."),
            waiver("R12.rp_filter", "storage_nodes", "Multi-homed storage nodes see asymmetric routes.", "sre-storage"),
            waiver("R12.arp_ignore", "controllers", "keepalived VRRP answers ARP for the API VIP."),
            waiver("R12.arp_filter", "controllers", "keepalived VRRP moves the API VIP between interfaces."),
            waiver("R12.drop_gratuitous_arp", "controllers", "VRRP failover announces the VIP by gratuitous ARP."),
            waiver(
                "R28.var_noexec", "storage_nodes", "Ceph daemons execute helpers under /var/lib/ceph.", "sre-storage"
            ),
            waiver("R28.var_noexec", "hypervisors", "libvirt and QEMU execute under /var/lib/libvirt.", "sre-compute"),
        ],
    }


def _control_plane(shape: RegionShape) -> list[str]:
    """Controllers then network nodes, sized to the region."""
    control = min(3, max(1, shape.hosts // 40))
    network = min(2 * shape.datacenters, max(1, shape.hosts // 30))
    return ["controller"] * control + ["network"] * network


def rack_files(shape: RegionShape) -> dict[str, Any]:
    """One file per rack (rack + hosts); datacenters alternate by rack.

    The control plane is dealt round-robin over the racks (so it spans
    datacenters); the remaining slots of each rack hold three hypervisors for
    every storage node.
    """
    files: dict[str, Any] = {}
    counts = [shape.hosts // shape.racks + (1 if r < shape.hosts % shape.racks else 0) for r in range(shape.racks)]
    roles: list[list[str]] = [[] for _ in range(shape.racks)]
    for n, role in enumerate(_control_plane(shape)):
        roles[n % shape.racks].append(role)
    for r in range(shape.racks):
        k = 0
        while len(roles[r]) < counts[r]:
            roles[r].append("storage" if k % 4 == 3 else "hypervisor")
            k += 1
    placed = 0
    network_nodes: list[str] = []
    for r in range(shape.racks):
        dc = _dc_name(shape, r % shape.datacenters)
        rack_name = f"{dc}-r{r // shape.datacenters + 1:02d}"
        hosts = []
        position = 1
        for role in roles[r]:
            hosts.append(_host(shape, dc, rack_name, position, role, placed, network_nodes))
            position += 2 if role == "storage" else 1
            placed += 1
        power = sum({"storage": 700, "controller": 450, "network": 450}.get(h["roles"][0], 600) for h in hosts)
        files[f"racks/{rack_name}.yaml"] = {
            "rack": {
                "name": rack_name,
                "datacenter": dc,
                "index": r + 1,
                "height_u": 42,
                "power_budget_w": max(8000, power + 1000),
            },
            "hosts": hosts,
        }
    return files


def _mac(kind: int, serial: int) -> str:
    return f"02:5c:{kind:02x}:{(serial >> 16) & 0xFF:02x}:{(serial >> 8) & 0xFF:02x}:{serial & 0xFF:02x}"


def _host(
    shape: RegionShape, dc: str, rack: str, position: int, role: str, serial: int, network_nodes: list[str]
) -> dict[str, Any]:
    short = {"controller": "ctl", "network": "net", "hypervisor": "hv", "storage": "st"}[role]
    hostname = f"{rack}-{short}{position:02d}"
    nics = [
        {"name": "eno1", "mac": _mac(1, serial), "max_mtu": 1500},
        {"name": "ens1f0", "mac": _mac(2, serial), "bond": "bond0"},
        {"name": "ens1f1", "mac": _mac(3, serial), "bond": "bond0"},
    ]
    networks: list[dict[str, Any]] = [
        {"network": f"{dc}-mgmt", "interface": "eno1"},
        {"network": f"{dc}-overlay" if role != "storage" else f"{dc}-storage", "interface": "bond0"},
    ]
    disks: list[dict[str, Any]] = [{"serial": f"OS{serial:07d}", "size_gb": 480, "purpose": "os"}]
    host: dict[str, Any] = {
        "hostname": hostname,
        "position_u": position,
        "roles": [role],
        "hardware": {"storage": "storage-2u", "hypervisor": "compute-1u"}.get(role, "control-1u"),
    }
    if role == "hypervisor":
        host["hypervisor_class"] = "dedicated" if serial % 5 == 0 else "general"
        networks.append({"network": f"{dc}-storage", "interface": "bond0"})
        disks.append({"serial": f"EP{serial:07d}", "size_gb": 1920, "purpose": "ephemeral"})
    elif role == "storage":
        networks.append({"network": f"{dc}-repl", "interface": "bond0"})
        disks += [{"serial": f"OSD{serial:06d}{d}", "size_gb": 7680, "purpose": "osd"} for d in range(4)]
    elif role == "network":
        # Public and provider addresses are scarce: network nodes get explicit ones, in order.
        network_nodes.append(hostname)
        n = len(network_nodes)
        networks.append({"network": f"{shape.name}-ext", "interface": "bond0", "address": f"198.51.100.{15 + n}"})
        networks.append({"network": f"{shape.name}-provider", "interface": "bond0", "address": f"172.20.0.{15 + n}"})
    host["bmc"] = {"mac": _mac(4, serial)}
    host["nics"] = nics
    host["bonds"] = [{"name": "bond0", "mode": "802.3ad"}]
    host["networks"] = networks
    host["disks"] = disks
    return host


class _FlowDumper(yaml.SafeDumper):
    """Block style for structure, flow style for small leaf mappings (one NIC, one disk per line)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # people read these files: no &anchors / *aliases


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.MappingNode:
    leaf = all(not isinstance(v, dict | list) for v in data.values())
    short = sum(len(str(k)) + len(str(v)) + 4 for k, v in data.items()) <= 100
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=leaf and short and bool(data))


_FlowDumper.add_representer(dict, _represent_dict)


def write_region(shape: RegionShape, out: Path, header: str = "") -> Path:
    """Write the stack for `shape` into `out` (created; existing files of the same name are replaced)."""
    files = {**region_files(shape), **rack_files(shape)}
    for rel, content in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.dump(content, Dumper=_FlowDumper, sort_keys=False, width=200, default_flow_style=False)
        path.write_text((header + "\n" if header else "") + text, encoding="utf-8")
    return out
