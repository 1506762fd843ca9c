"""Lab networking on the machine: bridges, one netns per host, veth pairs.

Each host gets its own network namespace, prepared *before* its container
starts: the veth peer is created directly inside it under the LabNic name, with
the NIC's MAC, MTU and address and the default route. systemd-nspawn then joins
that namespace (``--network-namespace-path``), so the configuration is already
there when systemd boots and nothing inside the host has to set it up (Debian's
systemd-networkd is disabled and leaves unmanaged interfaces alone).

IP forwarding on the machine is never touched: the hosts reach the bridge
gateway (the mirror) and each other, nothing else.

VLANs: when the spec gives a bridge a ``self_vlan`` and its NICs access/trunk
VLANs, the bridge becomes VLAN-aware (``vlan_filtering 1``, no default pvid)
and each port behaves as a switch port would. Kernels built without
CONFIG_BRIDGE_VLAN_FILTERING (no ``bridge/vlan_filtering`` in sysfs) keep a
flat bridge: every network of a physical network then shares one segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LabError
from .proc import run
from .spec import LabBridge, LabNic

NETNS_DIR = Path("/run/netns")
SYS_NET = Path("/sys/class/net")


def bridge_vlan_capable(name: str) -> bool:
    """True if the kernel can filter VLANs on bridge ``name`` (CONFIG_BRIDGE_VLAN_FILTERING)."""
    return (SYS_NET / name / "bridge" / "vlan_filtering").exists()


@dataclass(frozen=True)
class Link:
    name: str
    kind: str  # "bridge", "veth", "" for plain devices
    alias: str
    master: str


def list_links() -> list[Link]:
    """Links of the machine's namespace with kind, alias and master (from ``ip -j -d link``)."""
    out = run(["ip", "-j", "-d", "link", "show"]).stdout
    links = []
    for item in json.loads(out or "[]"):
        info: dict[str, Any] = item.get("linkinfo") or {}
        links.append(
            Link(
                name=item["ifname"],
                kind=str(info.get("info_kind", "")),
                alias=str(item.get("ifalias", "")),
                master=str(item.get("master", "")),
            )
        )
    return links


def link_exists(name: str) -> bool:
    return run(["ip", "link", "show", "dev", name], check=False).returncode == 0


def check_bridge_name_free(name: str, alias: str) -> None:
    """Fail if ``name`` is taken by an interface that is not this lab's bridge.

    Called before the bridge is recorded in the state file, so that ``down``
    never deletes (or ``up`` reconfigures) a bridge someone else made.
    """
    for link in list_links():
        if link.name == name and (link.kind != "bridge" or link.alias != alias):
            raise LabError(
                f"interface {name!r} already exists and is not this lab's bridge "
                f"(kind={link.kind or '?'}, alias={link.alias or 'none'}); pick another bridge name"
            )


def is_own_bridge(name: str, alias: str) -> bool:
    """True if ``name`` is a bridge with this lab's alias, or one without alias
    (an ``up`` that crashed between creating it and naming it)."""
    return any(link.name == name and link.kind == "bridge" and link.alias in (alias, "") for link in list_links())


def ensure_bridge(bridge: LabBridge, alias: str) -> bool:
    """Create the bridge (if absent) with the gateway address; True if this call created it."""
    check_bridge_name_free(bridge.name, alias)
    created = False
    if not link_exists(bridge.name):
        run(["ip", "link", "add", bridge.name, "type", "bridge"])
        created = True
    run(
        [
            "ip",
            "link",
            "set",
            "dev",
            bridge.name,
            "mtu",
            str(bridge.mtu),
            "alias",
            alias,
        ]
    )
    run(["ip", "addr", "replace", bridge.gateway_cidr, "dev", bridge.name])
    if bridge.self_vlan is not None and bridge_vlan_capable(bridge.name):
        # No implicit VLAN 1 anywhere; the machine's address sits on the network's VLAN.
        run(
            ["ip", "link", "set", "dev", bridge.name, "type", "bridge", "vlan_filtering", "1", "vlan_default_pvid", "0"]
        )
        run(["bridge", "vlan", "replace", "dev", bridge.name, "vid", str(bridge.self_vlan), "pvid", "untagged", "self"])
    run(["ip", "link", "set", "dev", bridge.name, "up"])
    return created


def configure_port_vlans(veth: str, nic: LabNic) -> None:
    """Access port (pvid untagged) or trunk (tagged VLANs) on the bridge end of a NIC's veth."""
    if nic.access_vlan is None and not nic.trunk_vlans:
        return
    if not bridge_vlan_capable(nic.bridge):
        return  # flat bridge: see the module docstring
    if nic.access_vlan is not None:
        run(["bridge", "vlan", "replace", "dev", veth, "vid", str(nic.access_vlan), "pvid", "untagged"])
    for vid in nic.trunk_vlans:
        run(["bridge", "vlan", "replace", "dev", veth, "vid", str(vid)])


def delete_link(name: str) -> None:
    """Delete a bridge or veth; absent is fine (deleting one veth end removes both)."""
    if link_exists(name):
        run(["ip", "link", "del", "dev", name], check=False)


def list_netns() -> list[str]:
    out = run(["ip", "-j", "netns", "list"], check=False).stdout.strip()
    if not out:
        return []
    return [str(item["name"]) for item in json.loads(out)]


def netns_path(name: str) -> Path:
    return NETNS_DIR / name


def ensure_netns(name: str) -> None:
    """Create the host's namespace with loopback up (systemd would do it too, but later)."""
    if not netns_path(name).exists():
        run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "dev", "lo", "up"])


def delete_netns(name: str) -> None:
    """Delete a namespace; its veth peers go with it."""
    if netns_path(name).exists() or name in list_netns():
        run(["ip", "netns", "del", name], check=False)


def add_nic(netns: str, veth: str, nic: LabNic, alias: str) -> None:
    """Create a veth pair: ``veth`` on the machine in the NIC's bridge, the peer
    inside ``netns`` named, addressed and sized as the LabNic says."""
    if not link_exists(veth):
        run(
            [
                "ip",
                "link",
                "add",
                veth,
                "type",
                "veth",
                "peer",
                "name",
                nic.name,
                "netns",
                netns,
            ]
        )
    run(
        [
            "ip", "link", "set", "dev", veth,
            "mtu", str(nic.mtu), "master", nic.bridge, "alias", alias, "up",
        ]
    )  # fmt: skip
    configure_port_vlans(veth, nic)
    run(
        [
            "ip", "-n", netns, "link", "set", "dev", nic.name,
            "address", nic.mac.lower(), "mtu", str(nic.mtu), "up",
        ]
    )  # fmt: skip
    if nic.address_cidr is not None:
        run(["ip", "-n", netns, "addr", "replace", nic.address_cidr, "dev", nic.name])


def set_default_route(netns: str, gateway: str) -> None:
    run(["ip", "-n", netns, "route", "replace", "default", "via", gateway])
