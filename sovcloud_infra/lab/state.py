"""The lab's state file: a journal of everything ``up`` created.

Each resource is recorded *before* it is created (and the file rewritten
atomically each time), so after a crash at any point ``down`` knows what may
exist. Removing something that was recorded but never made is harmless; the
reverse (made but not recorded) would leak it, which is why ``down`` also scans
by name prefix and link alias as a fallback.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .proc import ProcessRef

STATE_VERSION = 1


@dataclass
class TrackedProcess:
    role: str  # "nspawn" or "mirror"
    name: str  # hostname for nspawn, "apt-cacher-ng" for the mirror
    pid: int
    starttime: int

    @property
    def ref(self) -> ProcessRef:
        return ProcessRef(self.pid, self.starttime)


@dataclass
class HostRecord:
    """What the runtime made for one host (filled in as it goes)."""

    hostname: str
    netns: str
    mgmt_ip: str
    root: str
    console_log: str
    veths: list[str] = field(default_factory=list)


@dataclass
class LabState:
    name: str
    spec_hash: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    phase: str = "starting"  # starting -> up; down deletes the file
    login_user: str = ""
    mirror_url: str = ""
    bridges: list[str] = field(default_factory=list)  # only bridges this lab created
    hosts: list[HostRecord] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    processes: list[TrackedProcess] = field(default_factory=list)
    version: int = STATE_VERSION

    def host(self, hostname: str) -> HostRecord | None:
        return next((h for h in self.hosts if h.hostname == hostname), None)

    def process(self, role: str, name: str) -> TrackedProcess | None:
        return next((p for p in self.processes if p.role == role and p.name == name), None)


class StateStore:
    """Reads and atomically rewrites one lab's state file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LabState | None:
        """The recorded state, or None if there is none or it is unreadable.

        A corrupt file is treated as absent (``down`` then relies on its scans)
        rather than as an error that would block cleanup.
        """
        try:
            raw = json.loads(self.path.read_text())
            return _from_dict(raw)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def save(self, state: LabState) -> None:
        """Write via a temp file + rename so a crash never leaves half a JSON file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as fh:
            json.dump(asdict(state), fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)


def _from_dict(raw: dict[str, Any]) -> LabState:
    hosts = [HostRecord(**h) for h in raw.pop("hosts", [])]
    processes = [TrackedProcess(**p) for p in raw.pop("processes", [])]
    return LabState(**raw, hosts=hosts, processes=processes)
