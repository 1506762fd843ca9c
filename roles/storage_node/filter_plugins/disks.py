"""Compare the model's disks with the block devices the host really has.

The model names a disk by device path, by serial, or both, and gives its size
in GB (10^9 bytes). A disk matches a device when every identifier the model
gives agrees and the size is within the tolerance. Anything else is a problem,
reported with what was expected and what was found, so that an SRE can fix
either the cabling or the model before a single byte is written.
"""

from __future__ import annotations

from typing import Any


def _devices(lsblk: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in lsblk.get("blockdevices", []) if d.get("type") == "disk"]


def disk_check(model_disks: list[dict[str, Any]], lsblk: dict[str, Any], tolerance: float = 0.05) -> dict[str, Any]:
    """{problems: [str], matched: [{model disk + path, size_bytes}]}."""
    devices = _devices(lsblk)
    problems: list[str] = []
    matched: list[dict[str, Any]] = []
    for disk in model_disks:
        want = disk.get("device") or f"serial {disk.get('serial')}"
        candidates = [
            d
            for d in devices
            if (not disk.get("device") or f"/dev/{d['name']}" == disk["device"])
            and (not disk.get("serial") or (d.get("serial") or "").strip() == disk["serial"])
        ]
        if not candidates:
            found = (
                ", ".join(f"/dev/{d['name']} (serial {d.get('serial') or '-'})" for d in devices) or "no disk at all"
            )
            problems.append(
                f"model disk {want} ({disk['size_gb']} GB, {disk['purpose']}) is missing; the host has {found}"
            )
            continue
        dev = candidates[0]
        size = int(dev.get("size") or 0)
        expected = int(disk["size_gb"]) * 10**9
        if abs(size - expected) > tolerance * expected:
            problems.append(
                f"model disk {want}: the model says {disk['size_gb']} GB, /dev/{dev['name']} has {size / 10**9:.1f} GB"
            )
            continue
        matched.append(
            {
                **disk,
                "path": f"/dev/{dev['name']}",
                "size_bytes": size,
                "serial": dev.get("serial") or disk.get("serial"),
            }
        )
    return {"problems": problems, "matched": matched}


class FilterModule:
    """sovcloud_disk_check."""

    def filters(self) -> dict[str, Any]:
        return {"sovcloud_disk_check": disk_check}
