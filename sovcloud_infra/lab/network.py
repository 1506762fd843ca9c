"""Lab networking on the machine: bridges, one netns per host, veth pairs.

Each host gets its own network namespace, prepared *before* its container
starts: the veth peer is created directly inside it under the LabNic name, with
the NIC's MAC, MTU and address and the default route. systemd-nspawn then joins
that namespace (``--network-namespace-path``), so the configuration is already
there when systemd boots and nothing inside the host has to set it up (Debian's
systemd-networkd is disabled and leaves unmanaged interfaces alone).

IP forwarding on the machine is never touched: the hosts reach the bridge
gateway (the mirror) and each other, nothing else.
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
    run(["ip", "link", "set", "dev", bridge.name, "up"])
    return created


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
