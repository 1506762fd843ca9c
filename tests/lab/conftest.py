"""The lab region booted once per test session, converged once, and always torn down.

Every Ansible test of the project runs on these hosts: the `lab` stack booted
by the real `sovcloud lab up` command, converged by the real site playbook
through ansible-runner. Tests that break a host restore it before they end.
The last test (marked ``lab_teardown``) runs `sovcloud lab down` and checks
that nothing is left; the fixture's finaliser runs it again as a safety net,
also when tests fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sovcloud_infra.hosts.runner import PlaybookResult, run_playbook
from sovcloud_infra.lab import LabPaths, leftovers, status

REPO = Path(__file__).resolve().parents[2]
STACK = "lab"


@dataclass
class LabSession:
    name: str
    paths: LabPaths
    hostnames: list[str]
    first_converge: PlaybookResult

    def ssh(self, host: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell command on a lab host as the operator (use sudo inside for root)."""
        return subprocess.run(
            ["ssh", "-F", str(self.paths.ssh_config), host, command],
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def testinfra(self, host: str):  # type: ignore[no-untyped-def]
        import testinfra

        return testinfra.get_host(f"ssh://{host}", ssh_config=str(self.paths.ssh_config), sudo=True)


def sovcloud(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def _require_machine() -> None:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, bridges, containers)")
    for tool in ("systemd-nspawn", "debootstrap", "apt-cacher-ng", "ssh"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} is not installed (make system-deps)")


@pytest.fixture(scope="session")
def lab() -> Iterator[LabSession]:
    _require_machine()
    if status(STACK, check_ssh=False).phase != "absent":
        pytest.fail(
            f"a lab '{STACK}' already exists on this machine; the tests need their own: sovcloud lab down {STACK}"
        )
    try:
        booted = sovcloud("lab", "up", STACK)
        assert booted.returncode == 0, f"sovcloud lab up failed:\n{booted.stdout}\n{booted.stderr}"
        first = run_playbook(STACK)
        yield LabSession(
            name=STACK,
            paths=LabPaths.for_lab(STACK),
            hostnames=[h.hostname for h in status(STACK, check_ssh=False).hosts],
            first_converge=first,
        )
    finally:
        sovcloud("lab", "down", STACK)
        left = leftovers(STACK)
        assert not left, f"lab '{STACK}' left things behind: {left}"
