"""The disk layout of the VM image: one partition per mount point that BP-028 R28 names.

A container has no partitions of its own, so the mount-option controls
(``nosuid,nodev,noexec`` on /tmp, /var/tmp, /home, ...) can only be shown on a
disk where each of those directories is its own file system. The disk is GPT
with a BIOS boot partition, so SeaBIOS boots GRUB from it as on a legacy
server; every file system starts with plain ``defaults`` in fstab, leaving the
options to the hardening role.
"""

from __future__ import annotations

from dataclasses import dataclass

#: GPT type of the partition where grub-install (i386-pc) embeds its core image.
BIOS_BOOT_TYPE = "21686148-6449-6E6F-744E-656564454649"
#: GPT type "Linux filesystem data".
LINUX_DATA_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

#: Size of the sparse disk image; only the written blocks use space.
DISK_SIZE_MIB = 6144


@dataclass(frozen=True)
class Partition:
    """One GPT partition; ``mountpoint`` None for the BIOS boot partition (no file system)."""

    label: str
    size_mib: int | None  # None: the rest of the disk (only the last partition)
    mountpoint: str | None
    fsck_pass: int = 2

    @property
    def gpt_type(self) -> str:
        return BIOS_BOOT_TYPE if self.mountpoint is None else LINUX_DATA_TYPE


#: In disk order; the number of a partition is its index + 1.
PARTITIONS: tuple[Partition, ...] = (
    Partition("bios-grub", 1, None, 0),
    Partition("boot", 320, "/boot"),
    Partition("root", 2304, "/", 1),
    Partition("var", 1280, "/var"),
    Partition("var-log", 512, "/var/log"),
    Partition("var-tmp", 256, "/var/tmp"),
    Partition("tmp", 256, "/tmp"),
    Partition("home", None, "/home"),
)


def filesystems() -> list[tuple[int, Partition]]:
    """(partition number, partition) of every partition that carries a file system."""
    return [(n, p) for n, p in enumerate(PARTITIONS, start=1) if p.mountpoint is not None]


def mount_order() -> list[tuple[int, Partition]]:
    """File systems in the order to mount them: a parent (``/var``) before its children (``/var/log``)."""
    return sorted(filesystems(), key=lambda item: _depth(item[1].mountpoint or "/"))


def _depth(mountpoint: str) -> int:
    """0 for /, 1 for /var, 2 for /var/log."""
    return 0 if mountpoint == "/" else mountpoint.count("/")


def sfdisk_script() -> str:
    """Input for ``sfdisk``: a GPT label and the partitions, aligned to 1 MiB."""
    lines = ["label: gpt", ""]
    for partition in PARTITIONS:
        size = f"size={partition.size_mib}MiB, " if partition.size_mib is not None else ""
        lines.append(f"{size}type={partition.gpt_type}, name={partition.label}")
    return "\n".join(lines) + "\n"


def fstab(uuids: dict[str, str]) -> str:
    """/etc/fstab by file-system UUID (``uuids`` maps mount point to UUID), options left at defaults."""
    lines = [
        "# /etc/fstab of the sovcloud VM test image, written by sovcloud_infra.vm.",
        "# One file system per BP-028 R28 mount point; the hardening role sets the options.",
        "# <file system> <mount point> <type> <options> <dump> <pass>",
    ]
    for _, partition in filesystems():
        mountpoint = partition.mountpoint
        assert mountpoint is not None
        options = "errors=remount-ro" if mountpoint == "/" else "defaults"
        lines.append(f"UUID={uuids[mountpoint]} {mountpoint} ext4 {options} 0 {partition.fsck_pass}")
    return "\n".join(lines) + "\n"
