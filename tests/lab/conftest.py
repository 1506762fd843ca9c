"""The lab region booted once per test session, converged once, and always torn down.

Every Ansible test of the project runs on these hosts: a copy of the `lab`
stack on its own subnet (10.<SOVCLOUD_TEST_LAB_OCTET>.x, default 44, so it
never meets a developer's running lab), booted by the real `sovcloud lab up`
command and converged by the real site playbook through ansible-runner.
Tests that break a host restore it before they end.
The last test (marked ``lab_teardown``) runs `sovcloud lab down` and checks
that nothing is left; the fixture's finaliser runs it again as a safety net,
also when tests fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sovcloud_infra.hosts.runner import PlaybookResult, run_playbook
from sovcloud_infra.lab import LabPaths, leftovers, status
from sovcloud_infra.lab.variants import clone_lab_stack

REPO = Path(__file__).resolve().parents[2]
OCTET = int(os.environ.get("SOVCLOUD_TEST_LAB_OCTET", "44"))


@dataclass
class LabSession:
    name: str
    stack: Path
    inventory: Path
    octet: int
    paths: LabPaths
    hostnames: list[str]
    first_converge: PlaybookResult

    def ip(self, suffix: str) -> str:
        """An address of the lab stack moved to this session's subnet: ip("0.11") -> 10.<octet>.0.11."""
        return f"10.{self.octet}.{suffix}"

    def mac(self, suffix: str) -> str:
        return f"52:54:00:{self.octet:02x}:{suffix}"

    def converge(self, **kwargs: Any) -> PlaybookResult:
        """Run a playbook (site by default) on this session's lab through ansible-runner."""
        return run_playbook(self.name, inventory=self.inventory, **kwargs)

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


@contextlib.contextmanager
def fast_fail_ssh(control_dir: Path) -> Iterator[dict[str, str]]:
    """Environment for an Ansible run that must notice a dead link in seconds instead of TCP's minutes.

    Keepalives and a short connect timeout, and SSH control sockets of its own: a master that an earlier
    converge left persisting (ControlPersist) has no keepalives and would hang on the dead link, with every
    task of that host queued behind it. The run's masters are closed on the way out.
    """
    env = {
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=30s -o ServerAliveInterval=3 "
        "-o ServerAliveCountMax=2 -o ConnectTimeout=5",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir),
    }
    try:
        yield env
    finally:
        for sock in control_dir.glob("*"):
            subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "x"], capture_output=True, check=False)
        shutil.rmtree(control_dir, ignore_errors=True)


def _require_machine() -> None:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, bridges, containers)")
    for tool in ("systemd-nspawn", "debootstrap", "apt-cacher-ng", "ssh"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} is not installed (make system-deps)")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSession]:
    _require_machine()
    stack, inventory = clone_lab_stack(tmp_path_factory.mktemp("lab"), OCTET)
    name = stack.name
    sovcloud("lab", "down", name)  # the remains of a killed run, if any
    try:
        booted = sovcloud("lab", "up", str(stack))
        assert booted.returncode == 0, f"sovcloud lab up failed:\n{booted.stdout}\n{booted.stderr}"
        first = run_playbook(name, inventory=inventory)
        yield LabSession(
            name=name,
            stack=stack,
            inventory=inventory,
            octet=OCTET,
            paths=LabPaths.for_lab(name),
            hostnames=[h.hostname for h in status(name, check_ssh=False).hosts],
            first_converge=first,
        )
    finally:
        sovcloud("lab", "down", name)
        left = leftovers(name)
        assert not left, f"lab '{name}' left things behind: {left}"
