"""The qemu command line of a VM run, its overlay disk and its process.

TCG (software emulation) only: ``/dev/kvm`` exists on these machines but KVM
guests hang at boot. The firmware is qemu's default SeaBIOS, which boots GRUB
from the disk's boot sector, so the kernel command line is GRUB's. Each run
writes to its own qcow2 overlay on top of the cached raw image, which stays
pristine for the next run. The network is qemu's user-mode stack in
``restrict`` mode: the guest reaches nothing but the SSH port forwarded from
the machine's loopback and, when a run asks for it, the package mirror.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from sovcloud_infra.lab.proc import ProcessRef, run, spawn_daemon

from .image import GUEST_MIRROR

QEMU = "qemu-system-x86_64"
#: The guest address qemu's user network forwards to (configured statically in the image).
GUEST_ADDRESS = "10.0.2.15"
GUEST_GATEWAY = "10.0.2.2"


@dataclass(frozen=True)
class QemuSpec:
    """Size of the VM. Two vCPUs are two TCG threads: all the machine's cores."""

    cpus: int = 2
    memory_mib: int = 1536


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (qemu binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_overlay(base: Path, overlay: Path) -> None:
    """A qcow2 file that records this run's writes; reads fall through to ``base``."""
    overlay.unlink(missing_ok=True)
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(base), str(overlay)])


def qemu_argv(
    overlay: Path, console_log: Path, ssh_port: int, spec: QemuSpec, mirror_command: str | None = None
) -> list[str]:
    """The full command line; ``-name`` carries the overlay path so a stale process can be recognised.

    ``mirror_command`` is run once per guest connection to image.GUEST_MIRROR, with the
    connection on its stdin and stdout (a chardev target would serve one connection only).
    """
    netdev = f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{ssh_port}-{GUEST_ADDRESS}:22"
    if mirror_command is not None:
        if "," in mirror_command:
            raise ValueError(f"a comma would end qemu's -netdev option: {mirror_command!r}")
        host, port = GUEST_MIRROR.split(":")
        netdev += f",guestfwd=tcp:{host}:{port}-cmd:{mirror_command}"
    return [
        QEMU,
        "-name", f"sovcloud-vm,process=sovcloud-vm:{overlay}",
        "-accel", "tcg,thread=multi",
        # Only the devices the VM needs: no VGA, CD-ROM, floppy or parallel port whose
        # drivers a TCG guest would spend boot time probing.
        "-nodefaults",
        "-machine", "pc",
        # Every CPU feature TCG emulates. (Turning SVM off to spare the guest loading KVM
        # made udevd and mounts fail at boot here: keep the model as it is.)
        "-cpu", "max",
        "-smp", str(spec.cpus),
        "-m", str(spec.memory_mib),
        "-display", "none",
        "-vga", "none",
        "-monitor", "none",
        "-serial", f"file:{console_log}",
        "-drive", f"file={overlay},format=qcow2,if=virtio,cache=unsafe,discard=unmap",
        "-netdev", netdev,
        "-device", "virtio-net-pci,netdev=net0,romfile=",  # no iPXE ROM: the VM boots from its disk
        "-device", "virtio-rng-pci",
    ]  # fmt: skip


def start(
    overlay: Path,
    console_log: Path,
    qemu_log: Path,
    ssh_port: int,
    spec: QemuSpec,
    mirror_command: str | None = None,
) -> ProcessRef:
    """Start qemu in its own session, its own messages in ``qemu_log``; the caller tracks the ref."""
    console_log.unlink(missing_ok=True)
    qemu_log.unlink(missing_ok=True)
    return spawn_daemon(qemu_argv(overlay, console_log, ssh_port, spec, mirror_command), qemu_log)
