"""Run directories of VMs: who owns one, and what a dead owner left behind.

Each booted VM has a run directory (overlay, console log, SSH files, its
mirror's config) held under an exclusive ``flock`` for as long as the VM runs.
The kernel drops the lock when its owner dies, however it dies, so a free lock
means "nobody runs this any more": whatever its qemu or apt-cacher-ng left
running is stopped (recognised by its own command line, never by name alone)
and its overlay deleted. A held lock means another process (a developer's
session, a CI job) runs it, and nothing of it is touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from sovcloud_infra.lab.proc import cmdline, process_ref, stop_processes

from .errors import VmError
from .paths import runs_root

LOCK_NAME = ".lock"
#: Run directories of dead owners are kept this long for their console logs.
KEEP_LOGS_DAYS = 7


class RunInUseError(VmError):
    """Another live process holds the run directory."""


@contextlib.contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """Hold the run directory's lock, or fail at once if a live process holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInUseError(f"VM run {directory} is in use by another process; choose another name") from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _stop_if_ours(pid_file: Path, marker: str) -> None:
    """Stop the process in ``pid_file`` if its command line carries ``marker`` (a PID may be reused)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    ref = process_ref(pid)
    if ref is not None and any(marker in arg for arg in cmdline(pid)):
        stop_processes([ref], timeout=10)
    pid_file.unlink(missing_ok=True)


def clear_dead_run(directory: Path) -> None:
    """Stop a dead owner's qemu and mirror and delete its overlay; the caller holds the lock."""
    _stop_if_ours(directory / "qemu.pid", f"sovcloud-vm:{directory / 'overlay.qcow2'}")
    _stop_if_ours(directory / "mirror" / "pid", str(directory / "mirror"))
    for stale in ("overlay.qcow2", "cm", "inventory"):
        path = directory / stale
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def sweep_dead_runs(keep_logs_days: float = KEEP_LOGS_DAYS) -> list[Path]:
    """Clear every run directory whose owner is gone; delete those older than ``keep_logs_days``.

    Returns the directories it cleared. Runs of live processes are skipped.
    """
    root = runs_root()
    if not root.is_dir():
        return []
    cleared = []
    # Only directories with a lock file: one without was made by a version of this module that
    # took no lock, and a free lock there says nothing about whether its owner still runs.
    for directory in sorted(p for p in root.iterdir() if (p / LOCK_NAME).is_file()):
        try:
            with run_lock(directory):
                old = time.time() - directory.stat().st_mtime > keep_logs_days * 86400
                clear_dead_run(directory)
                cleared.append(directory)
                if old:
                    shutil.rmtree(directory)
        except RunInUseError:
            continue
    return cleared
