"""Loop devices, file systems and chroots for building the VM disk image.

Every resource taken here (a loop device, a mount) is released by the context
manager that took it, also when the build fails half-way or is interrupted:
a leaked loop device or mount survives the process and breaks the next build
(and ``losetup -a`` on a shared machine). A build killed by SIGKILL leaves
them behind, so :func:`release_stale` finds them again by the image's path.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sovcloud_infra.lab.mounts import mounts_below, unmount
from sovcloud_infra.lab.proc import run

from .errors import VmError
from .layout import Partition, filesystems, mount_order


@dataclass(frozen=True)
class LoopDevice:
    """A disk image attached with partition scanning: ``/dev/loopN`` and ``/dev/loopNpK``."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def partition(self, number: int) -> Path:
        return Path(f"{self.path}p{number}")


def _attached_to(image: Path) -> list[Path]:
    """Loop devices whose backing file is ``image`` (also a deleted one, as the kernel reports it)."""
    listing = run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False).stdout
    if not listing.strip():
        return []
    wanted = str(image)
    found = []
    for dev in json.loads(listing).get("loopdevices", []):
        back = (dev.get("back-file") or "").removesuffix(" (deleted)")
        if back == wanted:
            found.append(Path(dev["name"]))
    return found


def release_stale(image: Path, mount_root: Path) -> None:
    """Undo what a killed build left: mounts below ``mount_root``, loop devices on ``image``."""
    for target in mounts_below(mount_root):
        unmount(target)
    for dev in _attached_to(image):
        run(["losetup", "--detach", str(dev)], check=False)


@contextlib.contextmanager
def attached(image: Path) -> Iterator[LoopDevice]:
    """Attach ``image`` to a free loop device with its partitions; always detach afterwards."""
    dev = LoopDevice(Path(run(["losetup", "--find", "--show", "--partscan", str(image)]).stdout.strip()))
    try:
        _add_partitions(dev)
        yield dev
    finally:
        run(["partx", "--delete", str(dev.path)], check=False)
        run(["losetup", "--detach", str(dev.path)], check=False)


def _add_partitions(dev: LoopDevice, timeout: float = 10.0) -> None:
    """Make sure ``/dev/loopNpK`` exist.

    Some kernels (this machine's among them) are built without partition-table
    parsers, so ``--partscan`` finds nothing; ``partx`` reads the table in user
    space and adds the partitions through the kernel's BLKPG call instead.
    """
    wanted = [dev.partition(n) for n, _ in filesystems()]
    if not all(p.exists() for p in wanted):
        run(["partx", "--update", str(dev.path)])
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in wanted):
        if time.monotonic() > deadline:
            missing = ", ".join(str(p) for p in wanted if not p.exists())
            raise VmError(f"partitions of {dev.path} did not appear: {missing}")
        time.sleep(0.05)


def make_filesystems(dev: LoopDevice) -> dict[str, str]:
    """Create an ext4 file system on every data partition; return mount point -> UUID."""
    uuids = {}
    for number, partition in filesystems():
        assert partition.mountpoint is not None
        part = dev.partition(number)
        run(["mkfs.ext4", "-q", "-F", "-L", partition.label, str(part)])
        uuids[partition.mountpoint] = run(["blkid", "-s", "UUID", "-o", "value", str(part)]).stdout.strip()
    return uuids


@contextlib.contextmanager
def mounted(dev: LoopDevice, root: Path) -> Iterator[Path]:
    """Mount every file system of the disk at its place under ``root``; always unmount all."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        for number, partition in mount_order():
            target = _under(root, partition)
            target.mkdir(parents=True, exist_ok=True)
            run(["mount", "-t", "ext4", str(dev.partition(number)), str(target)])
        yield root
    finally:
        for target in mounts_below(root):
            unmount(target)


def _under(root: Path, partition: Partition) -> Path:
    return root / (partition.mountpoint or "/").lstrip("/")


#: Character devices a chroot needs: (name, major, minor, mode).
_CHAR_DEVICES = (
    ("null", 1, 3, 0o666),
    ("zero", 1, 5, 0o666),
    ("full", 1, 7, 0o666),
    ("random", 1, 8, 0o666),
    ("urandom", 1, 9, 0o666),
    ("tty", 5, 0, 0o666),
)


@contextlib.contextmanager
def chroot_env(root: Path, dev: LoopDevice, uuids: dict[str, str]) -> Iterator[Path]:
    """/proc, /sys and a private /dev in the chroot, for apt, update-initramfs, grub-install and update-grub.

    The /dev is a tmpfs holding only the nodes the build needs, not a bind
    mount of the machine's /dev: the ``/dev/disk/by-uuid`` links that GRUB's
    scripts look for (to write ``root=UUID=...`` instead of ``/dev/loopNp3``)
    are created here without touching the machine's device tree.
    """
    devdir = root / "dev"
    try:
        run(["mount", "-t", "proc", "proc", str(root / "proc")])
        run(["mount", "-t", "sysfs", "-o", "ro", "sysfs", str(root / "sys")])
        run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=16m", "tmpfs", str(devdir)])
        for name, major, minor, mode in _CHAR_DEVICES:
            _mknod(devdir / name, stat.S_IFCHR, major, minor, mode)
        _block_node(devdir, dev.path)
        by_uuid = devdir / "disk" / "by-uuid"
        by_uuid.mkdir(parents=True)
        for number, partition in filesystems():
            assert partition.mountpoint is not None
            node = _block_node(devdir, dev.partition(number))
            (by_uuid / uuids[partition.mountpoint]).symlink_to(f"../../{node.name}")
        (devdir / "pts").mkdir()
        run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620", "devpts", str(devdir / "pts")])
        (devdir / "ptmx").symlink_to("pts/ptmx")
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):  # fmt: skip
            (devdir / name).symlink_to(target)
        yield root
    finally:
        for sub in ("dev/pts", "dev", "sys", "proc"):
            unmount(root / sub)


def _block_node(devdir: Path, device: Path) -> Path:
    """Recreate the block device node ``device`` (same major:minor) inside ``devdir``."""
    major, minor = (int(x) for x in Path(f"/sys/class/block/{device.name}/dev").read_text().split(":"))
    node = devdir / device.name
    _mknod(node, stat.S_IFBLK, major, minor, 0o660)
    return node


def _mknod(path: Path, kind: int, major: int, minor: int, mode: int) -> None:
    os.mknod(path, kind | mode, os.makedev(major, minor))
    path.chmod(mode)
