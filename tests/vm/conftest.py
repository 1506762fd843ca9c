"""Fixtures of the VM tier: the cached disk image, booted VMs that are always stopped, and timings.

The VM boots under TCG (software emulation), so everything here is slow by
container standards: the image is built once and cached outside the
repository, and each test module boots one VM and runs its whole scenario
(converge, reboot, converge again) in a module fixture that the tests then
read. Every VM runs in a run directory named after SOVCLOUD_TEST_VM_NAME
(default ``pytest-<pid>``, so that sessions running at once never meet); what
a killed session left running is cleared by the next one (see
sovcloud_infra/vm/runs.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sovcloud_infra.lab.proc import iter_processes
from sovcloud_infra.vm import VmImage, ensure_vm_image
from sovcloud_infra.vm.paths import run_dir, vm_cache_dir

REPO = Path(__file__).resolve().parents[2]
RUN_NAME = os.environ.get("SOVCLOUD_TEST_VM_NAME") or f"pytest-{os.getpid()}"
#: Seconds per step, printed at the end of the session.
TIMINGS: dict[str, float] = {}

_TOOLS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "sfdisk", "partx", "losetup", "mkfs.ext4", "rsync",
          "apt-cacher-ng", "ssh")  # fmt: skip


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.write_line("VM tier timings: " + ", ".join(f"{k} {v:.0f}s" for k, v in TIMINGS.items()))


def _require_machine() -> None:
    if os.geteuid() != 0:
        pytest.skip("the VM tier needs root (loop devices and mounts to build the image)")
    for tool in _TOOLS:
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} is not installed (run scripts/install-system-deps.sh)")


@pytest.fixture(scope="session")
def vm_image() -> VmImage:
    """The cached image, built now if its recipe changed (the build time is reported)."""
    _require_machine()
    started = time.monotonic()
    image = ensure_vm_image()
    if image.build_seconds is not None and image.built_now:
        TIMINGS["image build (cold)"] = image.build_seconds
    else:
        TIMINGS["image (cached)"] = time.monotonic() - started
    return image


def leftovers() -> list[str]:
    """What a VM run of this session or an image build could leave behind: qemu or apt-cacher-ng
    processes of this session's run directories, loop devices on the image cache, mounts below it."""
    runs = f"{run_dir(RUN_NAME)}-"  # this session's run directories: <name>-hardening, <name>-standin
    found = [f"process {pid}: {' '.join(argv)[:120]}" for pid, argv in iter_processes() if any(runs in a for a in argv)]
    losetup = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
    found += [f"loop device {line}" for line in losetup.splitlines() if str(vm_cache_dir()) in line]
    found += [f"mount {line}" for line in Path("/proc/mounts").read_text().splitlines() if str(vm_cache_dir()) in line]
    return found
