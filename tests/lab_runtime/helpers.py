"""Shared helpers of the lab runtime tests: the test lab's spec and SSH into its hosts."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest

from sovcloud_infra.lab import LabPaths, LabSpec, LabStatus
from sovcloud_infra.lab.demo import demo_spec
from sovcloud_infra.lab.spec import gateway_ip
from sovcloud_infra.lab.ssh import ssh_argv

LAB_NAME = "pytest-lab"
LAB_BRIDGE = "sc-pt-mgmt"
LAB_SUBNET = "10.42.250"
#: Hosts in the session lab; two cores, so keep it small (env overrides).
HOST_COUNT = int(os.environ.get("SOVCLOUD_LAB_TEST_HOSTS", "3"))
#: Measured durations, printed at the end of the run by conftest.pytest_terminal_summary.
TIMINGS: dict[str, float] = {}
REQUIRED_TOOLS = ("systemd-nspawn", "debootstrap", "apt-cacher-ng", "ip", "ssh", "ssh-keygen")


def require_machine() -> None:
    """Skip (with the reason) where a lab cannot boot at all: not root, or tools missing."""
    if os.geteuid() != 0:
        pytest.skip("lab tests need root")
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"lab tests need: {', '.join(missing)} (scripts/install-system-deps.sh)")


def lab_spec(name: str, host_count: int, bridge: str, subnet: str) -> LabSpec:
    """The demo lab's layout under a test-only name, bridge and subnet."""
    return demo_spec(name=name, host_count=host_count, bridge=bridge, subnet=subnet)


@dataclass
class BootedLab:
    """The running session lab, as the tests see it."""

    spec: LabSpec
    status: LabStatus
    paths: LabPaths
    ip_forward_before: str
    hostnames: list[str] = field(default_factory=list)

    @property
    def user(self) -> str:
        return self.spec.users[0].name

    @property
    def gateway(self) -> str:
        return gateway_ip(self.spec.bridges[0])

    def ip(self, hostname: str) -> str:
        return next(h.mgmt_ip for h in self.status.hosts if h.hostname == hostname)

    def ssh(self, hostname: str, command: str, check: bool = True) -> str:
        """Run ``command`` on a host as the operator over real SSH; return stdout."""
        proc = subprocess.run(
            [*ssh_argv(self.paths, self.user, self.ip(hostname)), command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert proc.returncode == 0, f"{hostname}: {command}: {proc.stderr}{proc.stdout}"
        return proc.stdout.strip()
