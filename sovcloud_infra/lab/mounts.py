"""Mount bookkeeping: overlay mounts per host and safe directory removal.

Removing a directory that still has a mount below it would delete files of the
mounted file system (for an overlay: write whiteouts into the upper dir at best,
follow a bind mount into the real system at worst). Every removal in the
runtime therefore goes through :func:`safe_rmtree`, which unmounts first and
refuses if anything stays mounted.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError
from .proc import run


@dataclass(frozen=True)
class Mount:
    source: str
    target: Path
    fstype: str
    options: str


def _unescape(field: str) -> str:
    """/proc/mounts escapes space, tab, newline and backslash as octal."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def list_mounts() -> list[Mount]:
    """Current mounts of this mount namespace, from /proc/mounts."""
    mounts = []
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4:
            mounts.append(Mount(_unescape(parts[0]), Path(_unescape(parts[1])), parts[2], parts[3]))
    return mounts


def is_mounted(target: Path) -> bool:
    return any(m.target == target for m in list_mounts())


def mounts_below(path: Path) -> list[Path]:
    """Mount points at or below ``path``, deepest first (the order to unmount them)."""
    path = Path(os.path.realpath(path))
    found = {m.target for m in list_mounts() if m.target == path or path in m.target.parents}
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def mount_overlay(lower: Path, upper: Path, work: Path, target: Path) -> None:
    """Mount an overlay: the shared read-only base below, this host's changes above."""
    for d in (upper, work, target):
        d.mkdir(parents=True, exist_ok=True)
    if is_mounted(target):
        return
    run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={lower},upperdir={upper},workdir={work}",
            str(target),
        ]
    )


def unmount(target: Path, attempts: int = 10) -> None:
    """Unmount, retrying while busy (a container's processes may take a moment to vanish),
    then lazily as a last resort so teardown never stalls."""
    for _ in range(attempts):
        if not is_mounted(target):
            return
        if run(["umount", str(target)], check=False).returncode == 0:
            continue
        time.sleep(0.2)
    if is_mounted(target):
        run(["umount", "-l", str(target)], check=False)


def ensure_tmpfs(target: Path) -> bool:
    """Mount a tmpfs on ``target`` if nothing is mounted there; True if this call mounted it.

    systemd-nspawn needs /run/systemd/nspawn on a tmpfs on this machine (it
    otherwise refuses to clean up its propagation directory on a disk file system).
    """
    target.mkdir(parents=True, exist_ok=True)
    if is_mounted(target):
        return False
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(target)])
    return True


def safe_rmtree(path: Path) -> None:
    """Remove a directory tree after unmounting everything below it; no-op if absent."""
    if not path.exists() and not path.is_symlink():
        return
    for target in mounts_below(path):
        unmount(target)
    left = mounts_below(path)
    if left:
        raise LabError(f"refusing to delete {path}: still mounted: {', '.join(map(str, left))}")
    shutil.rmtree(path, ignore_errors=False)
