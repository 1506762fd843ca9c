"""What ``status`` (and ``up``) report about a lab."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import LabPaths
from .proc import is_alive
from .ssh import probe
from .state import LabState


@dataclass(frozen=True)
class HostStatus:
    hostname: str
    mgmt_ip: str
    netns: str
    pid: int | None
    running: bool  # its systemd-nspawn process is alive
    ssh_ready: bool  # ``ssh operator@mgmt_ip true`` succeeded
    console_log: Path


@dataclass(frozen=True)
class LabStatus:
    name: str
    state_dir: Path
    phase: str  # "absent", "starting" (up not finished or crashed) or "up"
    hosts: tuple[HostStatus, ...]
    login_user: str
    operator_key: Path
    ssh_config: Path | None  # None while absent
    mirror_url: str
    mirror_running: bool

    @property
    def running(self) -> bool:
        """Everything up: every host answers SSH and the mirror runs."""
        return (
            self.phase == "up"
            and bool(self.hosts)
            and self.mirror_running
            and all(h.running and h.ssh_ready for h in self.hosts)
        )


def collect(paths: LabPaths, state: LabState | None, check_ssh: bool = True) -> LabStatus:
    """Build the status from the state file, checking processes and (optionally) SSH."""
    if state is None:
        return LabStatus(
            name=paths.name,
            state_dir=paths.root,
            phase="absent",
            hosts=(),
            login_user="",
            operator_key=paths.operator_key,
            ssh_config=None,
            mirror_url="",
            mirror_running=False,
        )
    hosts = []
    for record in state.hosts:
        proc = state.process("nspawn", record.hostname)
        running = proc is not None and is_alive(proc.ref)
        ssh_ready = running and check_ssh and probe(paths, state.login_user, record.mgmt_ip)
        hosts.append(
            HostStatus(
                hostname=record.hostname,
                mgmt_ip=record.mgmt_ip,
                netns=record.netns,
                pid=proc.pid if proc else None,
                running=running,
                ssh_ready=ssh_ready,
                console_log=Path(record.console_log),
            )
        )
    mirror = state.process("mirror", "apt-cacher-ng")
    return LabStatus(
        name=paths.name,
        state_dir=paths.root,
        phase=state.phase,
        hosts=tuple(hosts),
        login_user=state.login_user,
        operator_key=paths.operator_key,
        ssh_config=paths.ssh_config if paths.ssh_config.exists() else None,
        mirror_url=state.mirror_url,
        mirror_running=mirror is not None and is_alive(mirror.ref),
    )
