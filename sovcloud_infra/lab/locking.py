"""Advisory file locks so two ``up``/``down`` calls never interleave.

Two terminals (or a test run and a developer) acting on the same lab, or two
labs building the shared base image at once, would otherwise race on the same
netns, mounts and directories.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if needed) for the ``with`` body.

    flock is released by the kernel when the process dies, so a crashed ``up``
    never leaves the lab locked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
