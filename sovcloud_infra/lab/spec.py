"""The plain input of the lab runtime: which bridges, hosts, NICs and users to make.

Kept free of the region model on purpose: the runtime only needs to know what
to create on this machine, and a frozen dataclass tree is trivial to build from
any model, to hash (to tell "same lab" from "changed lab") and to validate
before anything on the machine is touched.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import asdict, dataclass

from .errors import LabSpecError

IFNAMSIZ = 15
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_LABNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class LabBridge:
    """One Linux bridge on the machine per lab network."""

    name: str  # e.g. "sc-lab-mgmt" (<= 15 chars, IFNAMSIZ)
    gateway_cidr: str  # address of the machine on that bridge, e.g. "10.42.0.1/24"
    mtu: int = 1500
    # VLAN of the network the machine's own address belongs to (bridge "self" port,
    # pvid untagged). None = a plain, VLAN-unaware bridge (the historical behaviour).
    self_vlan: int | None = None


@dataclass(frozen=True)
class LabNic:
    """One interface of a host, plugged into a bridge through a veth pair."""

    name: str  # interface name inside the host, e.g. "eth0"
    bridge: str  # LabBridge.name it plugs into
    mac: str
    address_cidr: str | None  # e.g. "10.42.0.11/24"; None = configured later by Ansible
    mtu: int = 1500
    # Switch-port semantics of the veth's bridge end, as the model's convention says:
    # a NIC that carries one network is an access port (pvid untagged = access_vlan),
    # one that carries several is a trunk (trunk_vlans tagged). Both empty = plain port.
    access_vlan: int | None = None
    trunk_vlans: tuple[int, ...] = ()


@dataclass(frozen=True)
class LabUser:
    """An SRE account created on every host, with passwordless sudo if ``sudo``."""

    name: str
    pubkeys: tuple[str, ...]
    sudo: bool = True


@dataclass(frozen=True)
class LabHostSpec:
    """One host; its first NIC is the management NIC that SSH uses."""

    hostname: str
    nics: tuple[LabNic, ...]
    default_gateway: str | None = None


@dataclass(frozen=True)
class LabSpec:
    """A whole lab. ``users[0]`` is the account the runtime logs in as."""

    name: str  # lab name, e.g. "lab"; used in state paths
    bridges: tuple[LabBridge, ...]
    hosts: tuple[LabHostSpec, ...]
    users: tuple[LabUser, ...]  # SRE accounts installed in every host
    mirror_bridge: str  # bridge whose gateway address the apt-cacher-ng mirror listens on (3142)


def spec_to_dict(spec: LabSpec) -> dict[str, object]:
    """JSON-ready form, stored in the state file for humans and for change detection."""
    return asdict(spec)


def spec_hash(spec: LabSpec) -> str:
    """Stable digest: a second ``up`` with the same hash is a no-op."""
    return hashlib.sha256(json.dumps(spec_to_dict(spec), sort_keys=True).encode()).hexdigest()[:16]


def management_nic(host: LabHostSpec) -> LabNic:
    """The first NIC: addressed, and where SSH goes."""
    return host.nics[0]


def management_ip(host: LabHostSpec) -> str:
    addr = management_nic(host).address_cidr
    assert addr is not None  # guaranteed by validate()
    return str(ipaddress.ip_interface(addr).ip)


def gateway_ip(bridge: LabBridge) -> str:
    return str(ipaddress.ip_interface(bridge.gateway_cidr).ip)


def bridge_by_name(spec: LabSpec, name: str) -> LabBridge:
    for bridge in spec.bridges:
        if bridge.name == name:
            return bridge
    raise LabSpecError(f"unknown bridge {name!r}")


def validate(spec: LabSpec) -> None:
    """Reject an inconsistent spec before anything is created on the machine.

    Every check here is one that would otherwise fail half-way through ``up``
    with a cryptic ``ip`` error, leaving a partial lab behind.
    """
    problems: list[str] = []
    if not _LABNAME.match(spec.name):
        problems.append(f"lab name {spec.name!r} must match {_LABNAME.pattern}")

    networks: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}
    seen_addresses: set[str] = set()
    for bridge in spec.bridges:
        if not _IFNAME.match(bridge.name):
            problems.append(f"bridge name {bridge.name!r} must be 1-{IFNAMSIZ} chars [A-Za-z0-9_.-]")
        if bridge.name in networks:
            problems.append(f"bridge {bridge.name!r} listed twice")
        try:
            iface = ipaddress.ip_interface(bridge.gateway_cidr)
        except ValueError:
            problems.append(f"bridge {bridge.name!r}: bad gateway_cidr {bridge.gateway_cidr!r}")
            continue
        if iface.network.prefixlen == iface.max_prefixlen:
            problems.append(f"bridge {bridge.name!r}: gateway_cidr needs a prefix length")
        networks[bridge.name] = iface.network
        seen_addresses.add(str(iface.ip))
        if not 68 <= bridge.mtu <= 65535:
            problems.append(f"bridge {bridge.name!r}: bad mtu {bridge.mtu}")
        if bridge.self_vlan is not None and not 1 <= bridge.self_vlan <= 4094:
            problems.append(f"bridge {bridge.name!r}: bad self_vlan {bridge.self_vlan}")
    if spec.mirror_bridge not in networks:
        problems.append(f"mirror_bridge {spec.mirror_bridge!r} is not one of the bridges")

    if not spec.hosts:
        problems.append("no hosts")
    hostnames: set[str] = set()
    macs: set[str] = set()
    for host in spec.hosts:
        where = f"host {host.hostname!r}"
        if not _HOSTNAME.match(host.hostname):
            problems.append(f"{where}: hostname must match {_HOSTNAME.pattern}")
        if host.hostname in hostnames:
            problems.append(f"{where}: listed twice")
        hostnames.add(host.hostname)
        if not host.nics:
            problems.append(f"{where}: needs at least one NIC (the management NIC)")
            continue
        if host.nics[0].address_cidr is None:
            problems.append(f"{where}: the first (management) NIC needs an address")
        nic_names: set[str] = set()
        host_networks = []
        for nic in host.nics:
            if not _IFNAME.match(nic.name) or nic.name == "lo":
                problems.append(f"{where}: bad NIC name {nic.name!r}")
            if nic.name in nic_names:
                problems.append(f"{where}: NIC {nic.name!r} listed twice")
            nic_names.add(nic.name)
            if nic.bridge not in networks:
                problems.append(f"{where}: NIC {nic.name!r} plugs into unknown bridge {nic.bridge!r}")
            mac = nic.mac.lower()
            if not _MAC.match(mac):
                problems.append(f"{where}: NIC {nic.name!r} bad MAC {nic.mac!r}")
            elif int(mac[:2], 16) & 1:
                problems.append(f"{where}: NIC {nic.name!r} MAC {nic.mac!r} is multicast")
            if mac in macs:
                problems.append(f"{where}: MAC {nic.mac!r} used twice")
            macs.add(mac)
            if not 68 <= nic.mtu <= 65535:
                problems.append(f"{where}: NIC {nic.name!r} bad mtu {nic.mtu}")
            if nic.access_vlan is not None and nic.trunk_vlans:
                problems.append(f"{where}: NIC {nic.name!r} is either an access port or a trunk, not both")
            for vid in (*nic.trunk_vlans, *([nic.access_vlan] if nic.access_vlan is not None else [])):
                if not 1 <= vid <= 4094:
                    problems.append(f"{where}: NIC {nic.name!r} bad VLAN id {vid}")
            if nic.address_cidr is None:
                continue
            try:
                iface = ipaddress.ip_interface(nic.address_cidr)
            except ValueError:
                problems.append(f"{where}: NIC {nic.name!r} bad address {nic.address_cidr!r}")
                continue
            host_networks.append(iface.network)
            net = networks.get(nic.bridge)
            if net is not None and iface.ip not in net:
                problems.append(f"{where}: {nic.address_cidr} is outside bridge {nic.bridge} ({net})")
            if str(iface.ip) in seen_addresses:
                problems.append(f"{where}: address {iface.ip} used twice (or is a gateway)")
            seen_addresses.add(str(iface.ip))
        if host.default_gateway is not None:
            try:
                gw = ipaddress.ip_address(host.default_gateway)
            except ValueError:
                problems.append(f"{where}: bad default_gateway {host.default_gateway!r}")
            else:
                if not any(gw in net for net in host_networks):
                    problems.append(f"{where}: default_gateway {gw} is on none of its networks")

    if not spec.users:
        problems.append("no users: users[0] is the operator account the runtime logs in as")
    usernames: set[str] = set()
    for user in spec.users:
        if not _USERNAME.match(user.name) or user.name == "root":
            problems.append(f"user {user.name!r}: bad name")
        if user.name in usernames:
            problems.append(f"user {user.name!r} listed twice")
        usernames.add(user.name)
        for key in user.pubkeys:
            if "\n" in key or len(key.split()) < 2:
                problems.append(f"user {user.name!r}: malformed public key {key[:30]!r}...")
    if problems:
        raise LabSpecError(f"invalid lab spec {spec.name!r}:\n  - " + "\n  - ".join(problems))
