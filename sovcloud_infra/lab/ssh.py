"""SSH access to lab hosts: the ssh_config and known_hosts files, and probes.

The runtime writes the hosts' keys itself, so known_hosts is pinned with the
real host keys instead of trusting on first use; ``ssh -F <state>/ssh_config
<hostname>`` and Ansible (``ansible_ssh_common_args: -F ...``) then need no
extra option. ControlMaster keeps Ansible fast; ``down`` closes the masters.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .paths import LabPaths


@dataclass(frozen=True)
class SshTarget:
    hostname: str
    ip: str
    addresses: tuple[str, ...]  # every address of the host, for known_hosts
    host_public_keys: tuple[str, ...]


def write_known_hosts(paths: LabPaths, targets: Sequence[SshTarget]) -> None:
    lines = []
    for target in targets:
        names = ",".join(dict.fromkeys((target.hostname, *target.addresses)))
        lines += [f"{names} {key}" for key in target.host_public_keys]
    paths.known_hosts.write_text("".join(f"{line}\n" for line in lines))


def write_ssh_config(paths: LabPaths, targets: Sequence[SshTarget], user: str) -> None:
    paths.control_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    header = (
        f"# Lab hosts of lab {paths.name!r}, written by sovcloud_infra.lab; use: ssh -F {paths.ssh_config} HOSTNAME\n"
    )
    blocks = [header]
    for target in targets:
        blocks.append(
            f"Host {target.hostname}\n"
            f"    HostName {target.ip}\n"
            f"    User {user}\n"
            f"    IdentityFile {paths.operator_key}\n"
            "    IdentitiesOnly yes\n"
            f"    UserKnownHostsFile {paths.known_hosts}\n"
            "    StrictHostKeyChecking yes\n"
            f"    ControlPath {paths.control_dir}/%C\n"
            "    ControlMaster auto\n"
            "    ControlPersist 60s\n"
        )
    paths.ssh_config.write_text("\n".join(blocks))


def ssh_argv(paths: LabPaths, user: str, ip: str, *, connect_timeout: int = 3) -> list[str]:
    """A self-contained ssh command (no ControlMaster) for probes and tests."""
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={paths.known_hosts}",
        "-o",
        f"ConnectTimeout={connect_timeout}",
        "-o",
        "LogLevel=ERROR",
        "-i",
        str(paths.operator_key),
        f"{user}@{ip}",
    ]


def probe(paths: LabPaths, user: str, ip: str, timeout: float = 8.0) -> bool:
    """True if ``ssh user@ip true`` succeeds: sshd is up, the user exists, the key works."""
    try:
        proc = subprocess.run(
            [*ssh_argv(paths, user, ip, connect_timeout=2), "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def close_masters(paths: LabPaths, hostnames: Sequence[str]) -> None:
    """Ask each ControlMaster to exit (``down`` kills any that do not)."""
    if not paths.ssh_config.exists():
        return
    for hostname in hostnames:
        subprocess.run(
            ["ssh", "-F", str(paths.ssh_config), "-O", "exit", hostname],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=5,
            check=False,
        )
