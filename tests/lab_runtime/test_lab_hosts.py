"""The session lab's hosts are real, distinct Debian 12 machines reachable over SSH."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from sovcloud_infra.lab import LabError, status, up

from .helpers import BootedLab, lab_spec

pytestmark = pytest.mark.lab


def test_every_host_answers_ssh_as_the_operator(lab: BootedLab) -> None:
    for hostname in lab.hostnames:
        assert lab.ssh(hostname, "whoami") == lab.user
        assert lab.ssh(hostname, "hostname") == hostname


def test_sudo_is_passwordless(lab: BootedLab) -> None:
    for hostname in lab.hostnames:
        assert lab.ssh(hostname, "sudo -n id -u") == "0"


def test_each_host_has_its_own_identity(lab: BootedLab) -> None:
    ids = {h: lab.ssh(h, "cat /etc/machine-id") for h in lab.hostnames}
    fingerprints = {h: lab.ssh(h, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub").split()[1] for h in lab.hostnames}
    assert len(set(ids.values())) == len(lab.hostnames), ids
    assert all(len(i) == 32 for i in ids.values()), ids
    assert len(set(fingerprints.values())) == len(lab.hostnames), fingerprints


def test_systemd_is_pid1_and_boot_is_clean(lab: BootedLab) -> None:
    for hostname in lab.hostnames:
        assert lab.ssh(hostname, "ps -o comm= -p 1") == "systemd"
        assert lab.ssh(hostname, "systemd-detect-virt", check=False) == "systemd-nspawn"
        state = lab.ssh(hostname, "systemctl is-system-running --wait", check=False)
        failed = lab.ssh(hostname, "systemctl --failed --no-legend --plain", check=False)
        assert state == "running", f"{hostname}: {state}; failed units: {failed}"


def test_apt_update_goes_through_the_lab_mirror(lab: BootedLab) -> None:
    hostname = lab.hostnames[-1]
    out = lab.ssh(hostname, "sudo -n apt-get update 2>&1")
    mirror = f"http://{lab.gateway}:3142/deb.debian.org/debian"
    assert f"{mirror} bookworm InRelease" in out, out
    assert f"{mirror}-security bookworm-security" in out, out
    assert "Err:" not in out and "Failed" not in out, out


def test_hosts_reach_each_other_on_the_management_network(lab: BootedLab) -> None:
    first = lab.hostnames[0]
    for other in lab.hostnames[1:]:
        lab.ssh(first, f"ping -c1 -W2 {other}")


def test_net_sysctls_are_writable_inside(lab: BootedLab) -> None:
    """--private-network makes /proc/sys/net writable: hardening roles set net.* sysctls."""
    hostname = lab.hostnames[0]
    lab.ssh(hostname, "sudo -n /usr/sbin/sysctl -w net.ipv4.conf.all.log_martians=1")


def test_machine_ip_forwarding_is_untouched(lab: BootedLab) -> None:
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == lab.ip_forward_before


def test_ssh_config_works_for_humans_and_ansible(lab: BootedLab) -> None:
    for hostname in lab.hostnames:
        proc = subprocess.run(
            ["ssh", "-F", str(lab.paths.ssh_config), "-o", "BatchMode=yes", hostname, "hostname"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == hostname
    assert any(lab.paths.control_dir.iterdir()), "ControlMaster sockets expected"


def test_status_reports_every_host_running(lab: BootedLab) -> None:
    st = status(lab.spec.name)
    assert st.running, st
    assert [h.pid for h in st.hosts] == [h.pid for h in lab.status.hosts]
    assert st.mirror_url == f"http://{lab.gateway}:3142/deb.debian.org/debian"


def test_second_up_changes_nothing(lab: BootedLab) -> None:
    started = time.monotonic()
    again = up(lab.spec)
    assert time.monotonic() - started < 30
    assert [h.pid for h in again.hosts] == [h.pid for h in lab.status.hosts]
    assert again.running


def test_up_refuses_a_changed_spec_while_running(lab: BootedLab) -> None:
    subnet = lab.gateway.rsplit(".", 1)[0]
    changed = lab_spec(lab.spec.name, len(lab.hostnames) + 1, lab.spec.bridges[0].name, subnet)
    with pytest.raises(LabError, match="different spec"):
        up(changed)
    assert status(lab.spec.name, check_ssh=False).phase == "up"
