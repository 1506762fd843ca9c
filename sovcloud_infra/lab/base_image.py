"""The cached Debian 12 base rootfs that every lab host overlays.

Building it takes minutes (debootstrap plus the packages a host needs to boot
systemd, run sshd and be driven by Ansible); booting a host from it takes
seconds. So it is built once, into a temporary directory that is renamed into
place only when complete, and marked with a stamp that records the recipe. A
later call with the same recipe returns at once; a changed recipe rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError
from .locking import file_lock
from .mounts import list_mounts, safe_rmtree
from .paths import base_image_dir
from .proc import stream
from .progress import ProgressCallback, Reporter

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
#: What a lab host needs beyond minbase: systemd as PID 1 (systemd, systemd-sysv,
#: dbus), remote access (openssh-server, sudo), Ansible's modules (python3,
#: python3-apt for apt, procps for sysctl, iproute2 for facts), TLS to repos
#: (ca-certificates) and basic networking files (netbase). Recommends stay out to
#: keep it lean; roles install what they need through the lab mirror.
PACKAGES: tuple[str, ...] = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "iproute2",
    "iputils-ping",
    "procps",
    "netbase",
    "ca-certificates",
)
#: Units that only fail or wait in a container and hide real failures in
#: ``systemctl --failed``: there are no consoles to set up and no kernel to tune.
MASKED_UNITS: tuple[str, ...] = (
    "systemd-journald-audit.socket",
    "console-setup.service",
    "keyboard-setup.service",
)
#: Bump when the build steps change in a way the stamp must notice.
RECIPE_VERSION = 1
STAMP_NAME = ".sovcloud-base-stamp.json"


@dataclass(frozen=True)
class BaseImage:
    """A ready base rootfs and how it was made."""

    path: Path
    recipe_hash: str
    built_now: bool
    build_seconds: float | None


def recipe_hash() -> str:
    """Hash of everything that determines the image content."""
    recipe = {
        "suite": SUITE,
        "mirror": MIRROR,
        "packages": sorted(PACKAGES),
        "masked": sorted(MASKED_UNITS),
        "version": RECIPE_VERSION,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def read_stamp(path: Path) -> dict[str, object] | None:
    """The stamp of an image directory, or None if it is absent or unreadable."""
    try:
        data = json.loads((path / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_current(path: Path) -> bool:
    stamp = read_stamp(path)
    return stamp is not None and stamp.get("recipe") == recipe_hash()


def ensure_base_image(progress: ProgressCallback | None = None) -> BaseImage:
    """Return the cached base image, building it first if missing or out of date.

    Idempotent and safe to call concurrently: a lock serialises builders, and the
    image only appears at its final path once complete.
    """
    report = Reporter(progress)
    final = base_image_dir(SUITE)
    final.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(final.parent / f".{final.name}.lock"):
        if is_current(final):
            report("base-image", f"base image ready: {final}")
            return BaseImage(final, recipe_hash(), built_now=False, build_seconds=None)
        if final.exists() and _in_use(final):
            raise LabError(
                f"base image {final} is out of date but a running lab uses it; "
                "run `down` on all labs, then `up` again to rebuild it"
            )
        started = time.monotonic()
        tmp = final.parent / f".{final.name}.tmp"
        safe_rmtree(tmp)  # a build that crashed half-way
        try:
            _build(tmp, report)
            seconds = time.monotonic() - started
            stamp = {
                "recipe": recipe_hash(),
                "suite": SUITE,
                "mirror": MIRROR,
                "packages": list(PACKAGES),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": round(seconds, 1),
            }
            (tmp / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
            old = final.parent / f".{final.name}.old"
            safe_rmtree(old)
            if final.exists():
                final.rename(old)
            tmp.rename(final)
            safe_rmtree(old)
        except BaseException:
            safe_rmtree(tmp)
            raise
        report("base-image", f"base image built in {seconds:.0f}s: {final}")
        return BaseImage(final, recipe_hash(), built_now=True, build_seconds=seconds)


def _in_use(path: Path) -> bool:
    """True if an overlay mount uses ``path`` as its lower dir."""
    needle = f"lowerdir={path}"
    return any(m.fstype == "overlay" and needle in m.options for m in list_mounts())


def _build(root: Path, report: Reporter) -> None:
    """debootstrap minbase, add the packages, then strip per-host identity."""
    root.mkdir(parents=True)
    env = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}

    def line_to_progress(prefix: str) -> Callable[[str], None]:
        def on_line(line: str) -> None:
            if line.strip():
                report("base-image", f"{prefix}: {line.strip()}")

        return on_line

    report("base-image", f"debootstrap {SUITE} (minbase) into {root}")
    stream(
        ["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR],
        line_to_progress("debootstrap"),
        env=env,
    )
    # Keep package scripts from starting daemons (sshd!) on the build machine.
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    try:
        report("base-image", f"installing {len(PACKAGES)} packages")
        stream(
            [
                "chroot",
                str(root),
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                *PACKAGES,
            ],
            line_to_progress("apt"),
            env=env,
        )
        stream(["chroot", str(root), "apt-get", "clean"], line_to_progress("apt"), env=env)
        for unit in MASKED_UNITS:
            link = root / "etc/systemd/system" / unit
            link.unlink(missing_ok=True)
            link.symlink_to("/dev/null")
    finally:
        policy.unlink(missing_ok=True)
    _strip_identity(root)


def _strip_identity(root: Path) -> None:
    """Remove what must differ between hosts; rootfs.py writes fresh values per host."""
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.exists() or dbus_id.is_symlink():
        dbus_id.unlink()
        dbus_id.symlink_to("/etc/machine-id")
    (root / "etc/hostname").write_text("localhost\n")
    for lists in (root / "var/lib/apt/lists").glob("*"):
        if lists.is_file():
            lists.unlink()
