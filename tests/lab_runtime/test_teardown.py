"""``down`` removes everything, also after a crash; ``up`` reports hosts that do not boot.

These run after the other lab tests (marker ``lab_teardown``): the first one
removes the session lab itself and checks the machine is clean.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sovcloud_infra.lab import HostBootTimeoutError, LabPaths, down, leftovers, status, up
from sovcloud_infra.lab.proc import iter_processes

from .helpers import TIMINGS, BootedLab, lab_spec, require_machine

pytestmark = [pytest.mark.lab, pytest.mark.lab_teardown]


def assert_machine_clean(name: str, bridges: list[str]) -> None:
    """Nothing of lab ``name`` left, checked the way a person would."""
    paths = LabPaths.for_lab(name)
    assert not leftovers(name), leftovers(name)
    nspawn = [
        argv
        for _, argv in iter_processes()
        if argv[0].endswith("systemd-nspawn") and any(str(paths.root) in a for a in argv)
    ]
    assert not nspawn, nspawn
    pgrep = subprocess.run(["pgrep", "-af", str(paths.root)], capture_output=True, text=True, check=False)
    assert pgrep.stdout.strip() == "", pgrep.stdout
    mounts = [line for line in Path("/proc/mounts").read_text().splitlines() if str(paths.root) in line]
    assert not mounts, mounts
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert paths.netns_prefix not in netns, netns
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for name_part in [*bridges, paths.veth_prefix]:
        assert name_part not in links, links
    assert not paths.state_file.exists()


def test_down_removes_everything(lab: BootedLab) -> None:
    started = time.monotonic()
    down(lab.spec.name)
    TIMINGS["down"] = time.monotonic() - started
    assert_machine_clean(lab.spec.name, [b.name for b in lab.spec.bridges])
    assert status(lab.spec.name).phase == "absent"
    down(lab.spec.name)  # idempotent


def test_down_cleans_up_after_a_crash_that_lost_the_state_file() -> None:
    require_machine()
    spec = lab_spec("pytest-crash", 1, "sc-pt-crash", "10.42.251")
    try:
        st = up(spec, timeout=120)
        assert st.running
        # Simulate a crash: the container dies hard and the journal is gone.
        assert st.hosts[0].pid is not None
        os.kill(st.hosts[0].pid, signal.SIGKILL)
        os.waitpid(st.hosts[0].pid, 0)  # our child: reap it, or it lingers as <defunct>
        LabPaths.for_lab(spec.name).state_file.unlink()
        # The container outlives its killed nspawn, and only a scan can find it now.
        assert leftovers(spec.name).container_pids
    finally:
        down(spec.name)
    assert_machine_clean(spec.name, ["sc-pt-crash"])


def test_boot_timeout_names_the_host_and_its_console_log() -> None:
    require_machine()
    spec = lab_spec("pytest-timeout", 1, "sc-pt-tmo", "10.42.252")
    try:
        with pytest.raises(HostBootTimeoutError) as info:
            up(spec, timeout=0)
        err = info.value
        assert err.hostname == spec.hosts[0].hostname
        assert err.hostname in str(err) and str(err.console_log) in str(err)
        assert err.console_log.exists()
    finally:
        down(spec.name)
    assert_machine_clean(spec.name, ["sc-pt-tmo"])
