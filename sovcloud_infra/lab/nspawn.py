"""Booting and stopping one host: systemd-nspawn as a PID-tracked background process.

The machine has no systemd, so machinectl/machined are unavailable and the
container is not registered; it is tracked by the PID of its nspawn process.
Three settings measured as required on these machines (see
shared/notes/lab-hosts.md): a tmpfs on /run/systemd/nspawn,
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1, and ``--boot --register=no --keep-unit``.
"""

from __future__ import annotations

from pathlib import Path

from .mounts import ensure_tmpfs
from .network import netns_path
from .proc import ProcessRef, spawn_daemon, stop_processes

BINARY = "systemd-nspawn"
NSPAWN_RUNTIME_DIR = Path("/run/systemd/nspawn")
ENV = {"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"}
#: Time for a clean poweroff after SIGTERM before SIGKILL.
STOP_TIMEOUT = 20.0


def prepare_machine() -> None:
    """Mount the tmpfs nspawn needs (``down`` of the last lab unmounts it)."""
    ensure_tmpfs(NSPAWN_RUNTIME_DIR)


def nspawn_argv(root: Path, netns: str, machine: str) -> list[str]:
    """Command line of one host.

    ``--private-network`` with ``--network-namespace-path`` gives the container
    the prepared namespace *and* a writable /proc/sys/net (net.* sysctls are per
    namespace and the hardening roles set them). ``--console=read-only`` sends
    the boot console to our log file. ``--link-journal=no`` keeps the journal
    inside the host (the machine has no journald to link to).
    """
    return [
        BINARY,
        "--quiet",
        "--boot",
        "--register=no",
        "--keep-unit",
        "--private-network",
        f"--network-namespace-path={netns_path(netns)}",
        f"--directory={root}",
        f"--machine={machine}",
        "--console=read-only",
        "--link-journal=no",
        "--resolv-conf=off",
        "--timezone=off",
    ]


def start_host(root: Path, netns: str, machine: str, console_log: Path) -> ProcessRef:
    """Start the container in the background; its console goes to ``console_log``."""
    console_log.parent.mkdir(parents=True, exist_ok=True)
    console_log.write_text("")  # one boot per log: the previous boot's log is replaced
    return spawn_daemon(nspawn_argv(root, netns, machine), console_log, env=ENV)


def stop_hosts(refs: list[ProcessRef], timeout: float = STOP_TIMEOUT) -> None:
    """Clean poweroff of all containers at once (SIGTERM), SIGKILL after ``timeout``."""
    stop_processes(refs, timeout=timeout)
