"""What the host firewall opens, derived from the region model.

The interface that holds each network's address is the inventory's
``l3_device`` (sovcloud_infra/inventory/build.py, held equal to what
roles/networking creates by tests/inventory/test_l3_devices.py).
"""

from __future__ import annotations

from typing import Any

STORAGE_PURPOSES = ("storage", "storage-replication")


def _cidrs(networks: dict[str, dict[str, Any]], purposes: tuple[str, ...]) -> dict[str, list[str]]:
    cidrs = sorted({str(n["cidr"]) for n in networks.values() if n["purpose"] in purposes})
    return {"v4": [c for c in cidrs if ":" not in c], "v6": [c for c in cidrs if ":" in c]}


def firewall_plan(interfaces: list[dict[str, Any]], networks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Interfaces and source networks per purpose: {mgmt_ifaces, storage_ifaces, mgmt, storage, bmc}."""
    return {
        "mgmt_ifaces": sorted({str(i["l3_device"]) for i in interfaces if i["purpose"] == "management"}),
        "storage_ifaces": sorted({str(i["l3_device"]) for i in interfaces if i["purpose"] in STORAGE_PURPOSES}),
        "mgmt": _cidrs(networks, ("management",)),
        "storage": _cidrs(networks, STORAGE_PURPOSES),
        "bmc": _cidrs(networks, ("bmc",)),
    }


class FilterModule:
    """sovcloud_firewall_plan."""

    def filters(self) -> dict[str, Any]:
        return {"sovcloud_firewall_plan": firewall_plan}
