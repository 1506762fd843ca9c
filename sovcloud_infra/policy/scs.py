"""SCS-0100 flavor names: parse, validate and format.

The Sovereign Cloud Stack flavor naming standard (scs-0100, v2 names, unchanged
in v3) encodes what a customer may rely on in the name itself:
``SCS-<N><L|V|T|C>[i]-<RAM>[u][o][-[Mx]<disk>[n|h|s|p]][_ext]``. A name that
overstates the flavor (fewer vCPUs or less RAM than it claims) breaks the
standard's promise, so validation compares the name with the flavor's real
vCPUs, RAM and disk, not just its syntax.

Pure standard library: the CrossGuard pack and the offline plan import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CPU_TYPES = {
    "L": "crowded-core",  # vCPU, heavily oversubscribed (> 5x per core, > 3x per thread)
    "V": "shared-core",  # vCPU, limited oversubscription (<= 5x per core, <= 3x per thread)
    "T": "dedicated-thread",  # a dedicated SMT thread
    "C": "dedicated-core",  # a dedicated full core
}
"""CPU suffix -> the ``scs:cpu-type`` extra spec value (scs-0103)."""

DISK_TYPES = {"n": "network", "h": "hdd", "s": "ssd", "p": "nvme"}
"""Disk type suffix -> the ``scs:disk0-type`` extra spec value (scs-0103)."""

_V2_RE = re.compile(
    r"^SCS-(?P<cpus>[1-9][0-9]*)(?P<cpu_type>[LVTC])(?P<insecure>i)?"
    r"-(?P<ram>[0-9]+(?:\.5)?)(?P<no_ecc>u)?(?P<ram_oversubscribed>o)?"
    r"(?P<disk>-(?:(?P<disk_count>[1-9][0-9]*)x(?=[1-9]))?(?P<disk_gb>[1-9][0-9]*)?(?P<disk_type>[nhsp])?)?"
    r"(?P<extensions>(?:_[A-Za-z0-9.-]+)*)$"
)


@dataclass(frozen=True)
class ScsName:
    """The parts of an SCS flavor name."""

    cpus: int
    cpu_type: str
    ram_gib: float
    insecure: bool = False
    no_ecc: bool = False
    ram_oversubscribed: bool = False
    disk_gb: int | None = None
    """Root disk size; None = no size in the name."""
    disk_count: int = 1
    disk_type: str | None = None
    has_disk_part: bool = False
    """True when the name has a disk part (``-50``, ``-n``, or a bare ``-``: the cloud picks)."""
    extensions: str = ""

    def _ram(self) -> str:
        ram = f"{self.ram_gib:g}"
        return ram + ("u" if self.no_ecc else "") + ("o" if self.ram_oversubscribed else "")

    def _disk(self) -> str:
        if not self.has_disk_part:
            return ""
        count = f"{self.disk_count}x" if self.disk_count > 1 else ""
        size = str(self.disk_gb) if self.disk_gb is not None else ""
        return count + size + (self.disk_type or "")

    def v2(self) -> str:
        """The v2/v3 name, e.g. ``SCS-4V-16-50n``."""
        cpu = f"{self.cpus}{self.cpu_type}{'i' if self.insecure else ''}"
        disk = f"-{self._disk()}" if self.has_disk_part else ""
        return f"SCS-{cpu}-{self._ram()}{disk}{self.extensions}"

    def v1(self) -> str:
        """The v1 name (colon separated, 1:1 with v2), e.g. ``SCS-4V:16:50n``; kept in ``scs:name-v1``."""
        cpu = f"{self.cpus}{self.cpu_type}{'i' if self.insecure else ''}"
        disk = f":{self._disk()}" if self.has_disk_part and self.disk_gb is not None else ""
        return f"SCS-{cpu}:{self._ram()}{disk}"


def parse(name: str) -> ScsName | None:
    """The parts of a v2/v3 SCS name, or None if `name` does not follow scs-0100."""
    match = _V2_RE.match(name)
    if match is None:
        return None
    ram = float(match["ram"])
    if ram <= 0:
        return None
    return ScsName(
        cpus=int(match["cpus"]),
        cpu_type=match["cpu_type"],
        ram_gib=ram,
        insecure=bool(match["insecure"]),
        no_ecc=bool(match["no_ecc"]),
        ram_oversubscribed=bool(match["ram_oversubscribed"]),
        disk_gb=int(match["disk_gb"]) if match["disk_gb"] else None,
        disk_count=int(match["disk_count"]) if match["disk_count"] else 1,
        disk_type=match["disk_type"],
        has_disk_part=match["disk"] is not None,
        extensions=match["extensions"],
    )


def mismatches(name: str, vcpus: int, ram_mib: int, disk_gb: int) -> list[str]:
    """Why a flavor with these resources may not carry `name` (empty when it may).

    The standard allows understatement (more RAM or disk than the name says),
    never overstatement; the vCPU count must be exact because it is what a
    customer sizes licences and thread pools against.
    """
    parsed = parse(name)
    if parsed is None:
        return [f"'{name}' is not an SCS-0100 name (SCS-<N><L|V|T|C>[i]-<RAM>[u][o][-[Mx]<disk>[n|h|s|p]])"]
    problems = []
    if parsed.cpus != vcpus:
        problems.append(f"'{name}' claims {parsed.cpus} vCPUs but the flavor has {vcpus}")
    if ram_mib < parsed.ram_gib * 1024:
        problems.append(f"'{name}' claims {parsed.ram_gib:g} GiB RAM but the flavor has {ram_mib / 1024:g} GiB")
    if parsed.disk_gb is not None and disk_gb < parsed.disk_gb:
        problems.append(f"'{name}' claims a {parsed.disk_gb} GB disk but the flavor has {disk_gb} GB")
    return problems
