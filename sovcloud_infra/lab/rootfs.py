"""Per-host root file systems: an overlay on the shared base, then host identity.

The overlay costs no copy and no time; everything a host changes lands in its
own upper dir in the lab's state directory. What must differ between hosts
(hostname, machine-id, SSH host keys) is written fresh here because the base
image has them stripped: two hosts with one machine-id or one host key would
confuse journald, DHCP clients, Ansible's known_hosts and any audit of the lab.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError
from .mounts import mount_overlay
from .proc import run
from .spec import LabUser

#: Host key types sshd offers; all are written to the lab's known_hosts.
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")


@dataclass(frozen=True)
class HostIdentity:
    hostname: str
    machine_id: str
    host_public_keys: tuple[str, ...]  # "ssh-ed25519 AAAA..." lines (without comment)


def mount_host_root(base: Path, upper: Path, work: Path, root: Path) -> None:
    """Overlay ``base`` (read-only, shared) under this host's ``upper`` dir at ``root``."""
    mount_overlay(base, upper, work, root)


def customize(
    root: Path,
    hostname: str,
    etc_hosts: Sequence[tuple[str, str]],
    users: Sequence[LabUser],
    mirror_host: str,
) -> HostIdentity:
    """Give the mounted rootfs its own identity, accounts and apt sources.

    Runs before the first boot, on a fresh upper dir; every step also tolerates
    being re-run on the same rootfs.
    """
    _write(root / "etc/hostname", f"{hostname}\n")
    _write(root / "etc/hosts", _hosts_file(hostname, etc_hosts))
    machine_id = _ensure_machine_id(root)
    keys = _ensure_host_keys(root)
    for user in users:
        _ensure_user(root, user)
    _write_apt_sources(root, mirror_host)
    # The hosts have no DNS server on the lab network; an empty resolv.conf makes
    # lookups fail at once instead of timing out on the machine's resolver.
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    _write(resolv, "# lab hosts have no DNS; names of lab hosts are in /etc/hosts\n")
    return HostIdentity(hostname=hostname, machine_id=machine_id, host_public_keys=keys)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _hosts_file(hostname: str, entries: Sequence[tuple[str, str]]) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
        "",
        "# lab hosts (management network), written by sovcloud_infra.lab",
    ]
    names = {name for _, name in entries}
    if hostname not in names:
        lines.append(f"127.0.1.1\t{hostname}")
    lines += [f"{ip}\t{name}" for ip, name in entries]
    return "\n".join(lines) + "\n"


def _ensure_machine_id(root: Path) -> str:
    path = root / "etc/machine-id"
    current = path.read_text().strip() if path.exists() else ""
    if len(current) == 32:
        return current
    machine_id = uuid.uuid4().hex
    if path.exists():
        path.unlink()  # the base ships it read-only (0444)
    _write(path, machine_id + "\n", 0o444)
    return machine_id


def _ensure_host_keys(root: Path) -> tuple[str, ...]:
    """Generate the missing host keys (ssh-keygen -A under the root prefix)."""
    run(["ssh-keygen", "-A", "-f", str(root)])
    keys = []
    for kind in HOST_KEY_TYPES:
        pub = root / f"etc/ssh/ssh_host_{kind}_key.pub"
        if pub.exists():
            keys.append(" ".join(pub.read_text().split()[:2]))
    if not keys:
        raise LabError(f"no SSH host keys generated under {root}")
    return tuple(keys)


def _passwd_entry(root: Path, name: str) -> tuple[int, int, str] | None:
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and parts[0] == name:
            return int(parts[2]), int(parts[3]), parts[5]
    return None


def _ensure_user(root: Path, user: LabUser) -> None:
    """Account with bash, its authorized_keys and, if wanted, passwordless sudo.

    The sudoers file is checked with the host's own visudo before it is put in
    place: a broken file in /etc/sudoers.d breaks sudo for everyone.
    """
    if _passwd_entry(root, user.name) is None:
        run(["useradd", "--root", str(root), "--create-home", "--shell", "/bin/bash",
             "--user-group", user.name])  # fmt: skip
    entry = _passwd_entry(root, user.name)
    if entry is None:
        raise LabError(f"useradd did not create {user.name} in {root}")
    uid, gid, home = entry
    home_dir = root / home.lstrip("/")
    ssh_dir = home_dir / ".ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k.strip() for k in user.pubkeys if k.strip()))
    auth = ssh_dir / "authorized_keys"
    auth.write_text("".join(f"{k}\n" for k in keys))
    for path, mode in ((home_dir, 0o750), (ssh_dir, 0o700), (auth, 0o600)):
        os.chown(path, uid, gid)
        path.chmod(mode)

    sudoers = root / "etc/sudoers.d" / user.name.replace(".", "_")
    if not user.sudo:
        sudoers.unlink(missing_ok=True)
        return
    staged = root / "tmp" / f"sudoers-{user.name}"
    _write(staged, f"{user.name} ALL=(ALL) NOPASSWD:ALL\n", 0o440)
    try:
        run(["chroot", str(root), "visudo", "-c", "-f", f"/tmp/{staged.name}"])
        staged.replace(sudoers)
    finally:
        staged.unlink(missing_ok=True)


def _write_apt_sources(root: Path, mirror_host: str) -> None:
    """Point apt at the lab mirror (apt-cacher-ng on the bridge), as production points at
    the operator's mirror: the hosts cannot reach the Debian archive themselves."""
    base = f"http://{mirror_host}:3142/deb.debian.org"
    _write(
        root / "etc/apt/sources.list",
        "# lab package mirror (apt-cacher-ng on the machine), written by sovcloud_infra.lab\n"
        f"deb {base}/debian bookworm main\n"
        f"deb {base}/debian bookworm-updates main\n"
        f"deb {base}/debian-security bookworm-security main\n",
    )
    for extra in (root / "etc/apt/sources.list.d").glob("*"):
        if extra.name.endswith((".list", ".sources")):
            extra.unlink()
