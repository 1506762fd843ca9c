"""Exceptions of the VM tier.

They extend the lab runtime's ``LabError`` so that one ``except LabError``
shows any failure of the lab machinery as is; every message names the log
(build log or serial console) that explains it.
"""

from __future__ import annotations

from pathlib import Path

from sovcloud_infra.lab.errors import LabError


class VmError(LabError):
    """Anything the VM tier could not do."""


class VmImageError(VmError):
    """The disk image could not be built; points at the build log."""

    def __init__(self, reason: str, build_log: Path) -> None:
        self.build_log = build_log
        super().__init__(f"VM image build failed: {reason}; build log: {build_log}")


class VmBootError(VmError):
    """The VM did not answer over SSH in time, or its qemu exited; points at the serial console log."""

    def __init__(self, reason: str, console_log: Path, tail: str = "") -> None:
        self.console_log = console_log
        last = f"\nlast console lines:\n{tail}" if tail else ""
        super().__init__(f"VM {reason}; serial console log: {console_log}{last}")
