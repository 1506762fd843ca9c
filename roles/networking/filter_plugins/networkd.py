"""systemd-networkd files from the model's interfaces, NICs and bonds.

Generated in Python rather than in Jinja because the convention has several
cases (access port, trunk, bond, VLAN) that are easier to get right, and to
read, as code. The convention, also in the role README:

* an interface (NIC or bond) that carries ONE network carries it untagged
  (access port on the switch) and holds that network's address itself;
* one that carries SEVERAL networks is an 802.1Q trunk: each network is a VLAN
  interface named ``vlan<ID>`` on top of it, and the trunk has no address;
* a bond's members carry the bond's MTU; a trunk (and its members) carry the
  largest MTU of the networks they transport;
* the default route goes via the management network's gateway only;
* a network listed in ``bridges`` (network purpose -> bridge name, e.g. the
  external network of a network node -> ``br-ex``) is carried by a Linux
  bridge: its interface becomes the bridge's only port and the bridge holds
  the address, so Neutron can plug its routers' ports next to it.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

PREFIX = "sovcloud"

BOND_DEFAULTS: dict[str, dict[str, str]] = {
    "802.3ad": {
        "Mode": "802.3ad",
        "LACPTransmitRate": "fast",
        "TransmitHashPolicy": "layer3+4",
        "MIIMonitorSec": "100ms",
    },
    "active-backup": {"Mode": "active-backup", "MIIMonitorSec": "100ms"},
}


def _ini(sections: list[tuple[str, list[tuple[str, Any]]]]) -> str:
    lines = ["# Managed by Ansible (roles/networking) from the region model. Do not edit."]
    for name, items in sections:
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{key}={value}" for key, value in items)
    return "\n".join(lines) + "\n"


def l3_interface_names(interfaces: list[dict[str, Any]]) -> dict[str, str]:
    """Network name -> the interface that holds its address (the device, or vlan<ID> on a trunk)."""
    per_device: dict[str, int] = {}
    for itf in interfaces:
        per_device[itf["device"]] = per_device.get(itf["device"], 0) + 1
    names = {}
    for itf in interfaces:
        if per_device[itf["device"]] == 1:
            names[itf["network"]] = itf["device"]
        else:
            if itf.get("vlan") is None:
                raise AnsibleFilterError(
                    f"network {itf['network']} shares {itf['device']} with others but has no VLAN id: "
                    "a trunk can carry only tagged networks"
                )
            names[itf["network"]] = f"vlan{itf['vlan']}"
    return names


def networkd_files(
    interfaces: list[dict[str, Any]],
    nics: list[dict[str, Any]],
    bonds: list[dict[str, Any]],
    bridges: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every file of /etc/systemd/network the role manages: [{name, content, kind, ...}]."""
    bridges = bridges or {}
    if not interfaces:
        raise AnsibleFilterError("the host has no interfaces in the model")
    nic_by_name = {n["name"]: n for n in nics}
    bond_by_name = {b["name"]: b for b in bonds}
    l3 = l3_interface_names(interfaces)
    by_device: dict[str, list[dict[str, Any]]] = {}
    for itf in interfaces:
        if itf["device"] not in nic_by_name and itf["device"] not in bond_by_name:
            raise AnsibleFilterError(f"network {itf['network']} is on {itf['device']}, which is no NIC or bond")
        by_device.setdefault(itf["device"], []).append(itf)
    if sum(1 for i in interfaces if i["purpose"] == "management") < 1:
        raise AnsibleFilterError("no management interface: refusing to render a host that nobody could reach")

    files: list[dict[str, Any]] = []

    def add(name: str, sections: list[tuple[str, list[tuple[str, Any]]]], **meta: Any) -> None:
        files.append({"name": name, "content": _ini(sections), **meta})

    # Stable names from the NICs' permanent MACs (applied by udev at boot).
    for nic in nics:
        add(
            f"10-{PREFIX}-{nic['name']}.link",
            [("Match", [("PermanentMACAddress", nic["mac"].lower())]), ("Link", [("Name", nic["name"])])],
            kind="link",
        )

    for device, carried in sorted(by_device.items()):
        mtu = max(int(i["mtu"]) for i in carried)
        trunk = len(carried) > 1
        if device in bond_by_name:
            bond = bond_by_name[device]
            members = [n["name"] for n in nics if n.get("bond") == device]
            if not members:
                raise AnsibleFilterError(f"bond {device} has no member NIC in the model")
            mode = str(bond.get("mode", "802.3ad"))
            if mode not in BOND_DEFAULTS:
                raise AnsibleFilterError(f"bond {device}: mode {mode} is not supported (802.3ad, active-backup)")
            add(
                f"20-{PREFIX}-{device}.netdev",
                [
                    ("NetDev", [("Name", device), ("Kind", "bond"), ("MTUBytes", mtu)]),
                    ("Bond", list(BOND_DEFAULTS[mode].items())),
                ],
                kind="bond",
                device=device,
                members=members,
                mode=mode,
                mtu=mtu,
            )
            for member in members:
                add(
                    f"30-{PREFIX}-{member}.network",
                    [("Match", [("Name", member)]), ("Link", [("MTUBytes", mtu)]), ("Network", [("Bond", device)])],
                    kind="member",
                    device=member,
                    bond=device,
                    mtu=mtu,
                )
        if trunk:
            for itf in carried:
                add(
                    f"20-{PREFIX}-vlan{itf['vlan']}.netdev",
                    [
                        ("NetDev", [("Name", f"vlan{itf['vlan']}"), ("Kind", "vlan"), ("MTUBytes", itf["mtu"])]),
                        ("VLAN", [("Id", itf["vlan"])]),
                    ],
                    kind="vlan",
                    device=f"vlan{itf['vlan']}",
                    parent=device,
                    vlan=itf["vlan"],
                )
            add(
                f"40-{PREFIX}-{device}.network",
                [
                    ("Match", [("Name", device)]),
                    ("Link", [("MTUBytes", mtu)]),
                    (
                        "Network",
                        [("LinkLocalAddressing", "no"), ("IPv6AcceptRA", "no")]
                        + [("VLAN", f"vlan{i['vlan']}") for i in carried],
                    ),
                ],
                kind="trunk",
                device=device,
                mtu=mtu,
            )
        for itf in carried:
            name = l3[itf["network"]]
            bridge = bridges.get(itf["purpose"])
            if bridge:
                add(
                    f"45-{PREFIX}-{name}.network",
                    [
                        ("Match", [("Name", name)]),
                        ("Link", [("MTUBytes", itf["mtu"])]),
                        ("Network", [("Bridge", bridge), ("LinkLocalAddressing", "no"), ("IPv6AcceptRA", "no")]),
                    ],
                    kind="port",
                    device=name,
                    bridge=bridge,
                    mtu=int(itf["mtu"]),
                )
                add(
                    f"20-{PREFIX}-{bridge}.netdev",
                    [("NetDev", [("Name", bridge), ("Kind", "bridge"), ("MTUBytes", itf["mtu"])]),
                     ("Bridge", [("STP", "no")])],
                    kind="bridge",
                    device=bridge,
                    port=name,
                    mtu=int(itf["mtu"]),
                )  # fmt: skip
                trunk_needs = ["8021q"] if trunk else []
                bond_needs = ["bonding"] if device in bond_by_name else []
                name, needs = bridge, sorted({"bridge", *trunk_needs, *bond_needs})
            else:
                needs = sorted({*(["bonding"] if device in bond_by_name else []), *(["8021q"] if trunk else [])})
            network: list[tuple[str, Any]] = [
                ("Description", f"{itf['network']} ({itf['purpose']})"),
                ("LinkLocalAddressing", "no"),
                ("IPv6AcceptRA", "no"),
                ("ConfigureWithoutCarrier", "yes"),
            ]
            if itf.get("address"):
                network.append(("Address", itf["address"]))
            if itf["purpose"] == "management":
                # Never drop the address SSH uses when networkd restarts.
                network.append(("KeepConfiguration", "static"))
                if itf.get("gateway"):
                    network.append(("Gateway", itf["gateway"]))
            add(
                f"50-{PREFIX}-{name}.network",
                [("Match", [("Name", name)]), ("Link", [("MTUBytes", itf["mtu"])]), ("Network", network)],
                kind="l3",
                device=name,
                network=itf["network"],
                purpose=itf["purpose"],
                address=itf.get("address"),
                mtu=int(itf["mtu"]),
                needs=needs,
            )
    names = [f["name"] for f in files]
    if len(names) != len(set(names)):
        raise AnsibleFilterError(f"two networkd files with the same name: {sorted(names)}")
    return files


class FilterModule:
    """sovcloud_networkd_files, sovcloud_l3_interfaces."""

    def filters(self) -> dict[str, Any]:
        return {"sovcloud_networkd_files": networkd_files, "sovcloud_l3_interfaces": l3_interface_names}
