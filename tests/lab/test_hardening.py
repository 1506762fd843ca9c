"""The hardening role on the lab's real hosts: it converges, holds, and never locks the operator out.

Run with its own subnet: SOVCLOUD_TEST_LAB_OCTET=45 pytest tests/lab/test_hardening.py
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from sovcloud_infra.hosts.runner import PlaybookResult

from .conftest import LabSession

pytestmark = pytest.mark.lab

HOSTS = ["lab-ctl-01", "lab-hv-01", "lab-st-01"]
SYSCTL_FILE = "/etc/sysctl.d/99-zz-sovcloud-hardening.conf"
MGMT = {"lab-ctl-01": "0.11", "lab-hv-01": "0.12", "lab-st-01": "0.13"}
# What a run may not touch when it is refused: sshd, sudo, PAM and the operator's keys.
GUARDED = " ".join(
    ["/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/*", "/etc/sudoers", "/etc/sudoers.d/*", "/etc/pam.d/common-*",
     "/home/alice/.ssh/authorized_keys"]
)  # fmt: skip


def fresh_ssh(lab: LabSession, host: str, command: str, *options: str) -> subprocess.CompletedProcess[str]:
    """A new SSH connection (no shared master) with the lab's SSH config, as the operator unless told otherwise."""
    return subprocess.run(
        ["ssh", "-F", str(lab.paths.ssh_config), "-o", "ControlMaster=no", "-o", "ControlPath=none",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", *options, host, command],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def guarded_sums(lab: LabSession) -> dict[str, str]:
    sums = {}
    for host in HOSTS:
        sums[host] = lab.ssh(host, f"sudo sh -c 'md5sum {GUARDED}'").stdout
    return sums


def failures(result: PlaybookResult) -> str:
    return "\n".join(f for outcome in result.hosts.values() for f in outcome.failures) + result.output_tail


def assert_refused_untouched(lab: LabSession, result: PlaybookResult, before: dict[str, str], message: str) -> None:
    assert not result.succeeded
    assert {h: o.changed for h, o in result.hosts.items()} == dict.fromkeys(HOSTS, 0), {
        h: o.changed_tasks for h, o in result.hosts.items()
    }
    for host in HOSTS:
        assert any(message in f for f in result.hosts[host].failures), result.hosts[host].failures
    assert guarded_sums(lab) == before


@pytest.fixture
def operator_ok(lab: LabSession) -> Iterator[None]:
    """After a test that provokes failures, the operator must still get in with a fresh connection."""
    yield
    for host in HOSTS:
        probe = fresh_ssh(lab, host, "sudo -n true && echo ok")
        assert probe.stdout.strip() == "ok", (host, probe.stderr)


def test_site_with_hardening_converges_the_lab(lab: LabSession):
    result = lab.first_converge
    assert result.succeeded, failures(result)
    assert sorted(result.hosts) == HOSTS


# Idempotence and check mode of the whole site playbook (hardening included) are proven once, for every
# role, in test_site_common.py: a second converge and a check-mode run change nothing on any host.


@pytest.mark.parametrize("host", HOSTS)
def test_a_fresh_ssh_connection_as_the_operator_works_with_sudo(lab: LabSession, host: str):
    probe = fresh_ssh(lab, host, "id -un && sudo -n id -un")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["alice", "root"]


@pytest.mark.parametrize("host", HOSTS)
def test_root_login_is_refused_even_with_a_valid_key(lab: LabSession, host: str):
    key = lab.paths.operator_key.with_name(lab.paths.operator_key.name + ".pub").read_text().strip()
    lab.ssh(host, "sudo install -d -m 0700 /root/.ssh")
    lab.ssh(host, f"echo '{key}' | sudo tee /root/.ssh/authorized_keys >/dev/null")
    try:
        attempt = fresh_ssh(lab, host, "true", "-l", "root")
        assert attempt.returncode == 255
        assert "Permission denied" in attempt.stderr
    finally:
        lab.ssh(host, "sudo rm -f /root/.ssh/authorized_keys")
    assert "permitrootlogin no" in lab.ssh(host, "sudo sshd -T").stdout.splitlines()


@pytest.mark.parametrize("host", HOSTS)
def test_password_login_is_not_even_offered(lab: LabSession, host: str):
    methods = "PreferredAuthentications=password,keyboard-interactive"
    attempt = fresh_ssh(lab, host, "true", "-o", "PubkeyAuthentication=no", "-o", methods)
    assert attempt.returncode == 255
    assert "Permission denied (publickey)" in attempt.stderr
    effective = lab.ssh(host, "sudo sshd -T").stdout.splitlines()
    assert "passwordauthentication no" in effective and "kbdinteractiveauthentication no" in effective


@pytest.mark.parametrize("host", HOSTS)
def test_sshd_listens_on_the_management_address_only(lab: LabSession, host: str):
    listeners = lab.ssh(host, "ss -Htln 'sport = :22'").stdout.split("\n")
    local = sorted(line.split()[3] for line in listeners if line.strip())
    assert local == [f"{lab.ip(MGMT[host])}:22"]


@pytest.mark.parametrize("host", HOSTS)
def test_containers_get_only_what_they_can_show(lab: LabSession, host: str):
    """Kernel-wide sysctls, GRUB, fstab and auditd are not touched in a container (the audit says not-applicable)."""
    conf = lab.ssh(host, f"cat {SYSCTL_FILE}").stdout
    keys = [line.split("=")[0].strip() for line in conf.splitlines() if line and not line.startswith("#")]
    assert keys and all(k.startswith("net.ipv") for k in keys), keys
    assert lab.ssh(host, "test -e /etc/default/grub.d/90-sovcloud-hardening.cfg", check=False).returncode != 0
    assert lab.ssh(host, "test -e /etc/apt/apt.conf.d/50sovcloud-remount-exec", check=False).returncode != 0


@pytest.mark.parametrize("host", HOSTS)
def test_the_baseline_sysctl_file_is_applied_last_at_boot(lab: LabSession, host: str):
    """systemd-sysctl applies files by name, last assignment wins: a vendor file sorting after the
    baseline's (procps' 99-protect-links.conf) would undo it at every boot, as the VM tier once showed."""
    listing = lab.ssh(host, "systemd-analyze cat-config sysctl.d").stdout
    files = [line[2:].strip() for line in listing.splitlines() if line.startswith("# /")]
    assert "/usr/lib/sysctl.d/99-protect-links.conf" in files, files  # the file this test is about exists
    assert files[-1] == SYSCTL_FILE, files
    assert lab.ssh(host, "test -e /etc/sysctl.d/90-sovcloud-hardening.conf", check=False).returncode != 0


def test_a_run_that_would_exclude_the_operators_group_is_refused_before_any_change(lab: LabSession, operator_ok: None):
    before = guarded_sums(lab)
    result = lab.converge(extravars={"hardening_ssh_allow_groups": ["sre-storage-oncall"]})
    assert_refused_untouched(lab, result, before, "LOCKOUT GUARD")
    assert "AllowGroups=['sre-storage-oncall']" in failures(result)


def test_a_run_that_would_remove_the_operators_key_is_refused_before_any_change(lab: LabSession, operator_ok: None):
    before = guarded_sums(lab)
    result = lab.converge(extravars={"common_extra_authorized_keys": {}})
    assert_refused_untouched(lab, result, before, "LOCKOUT GUARD")
    assert "would not be in alice's authorized_keys" in failures(result)


def test_a_run_that_would_take_sudo_away_is_refused_before_any_change(lab: LabSession, operator_ok: None):
    groups = _sre_groups_without_sudo(lab)
    before = guarded_sums(lab)
    result = lab.converge(extravars={"sovcloud_sre_groups": groups})
    assert_refused_untouched(lab, result, before, "LOCKOUT GUARD")
    assert "would lose sudo" in failures(result)


def _sre_groups_without_sudo(lab: LabSession) -> list[dict[str, Any]]:
    import yaml

    access = yaml.safe_load((lab.stack / "access.yaml").read_text())
    key = lab.paths.operator_key.with_name(lab.paths.operator_key.name + ".pub").read_text().strip()
    return [
        {
            "name": g["name"],
            "sudo": False,
            "members": [
                {"name": m["name"], "full_name": m["full_name"], "ssh_keys": [*m["ssh_keys"], key]}
                for m in g["members"]
            ],
        }
        for g in access["sre_groups"]
    ]


def test_an_expired_waiver_fails_the_run_before_any_change(lab: LabSession, operator_ok: None):
    expired = {"control": "R12.ip_forward", "host_group": "all", "justification": "old", "owner": "sre-core",
               "expires": "2024-01-31"}  # fmt: skip
    before = guarded_sums(lab)
    result = lab.converge(extravars={"sovcloud_waivers": [expired]})
    assert_refused_untouched(lab, result, before, "EXPIRED WAIVER")
    assert "R12.ip_forward for all (owner sre-core) expired on 2024-01-31" in failures(result)


def test_a_waived_control_is_left_alone_on_its_group_and_enforced_elsewhere(lab: LabSession):
    """R12.ip_forward is waived for hypervisors (and network nodes) in stacks/lab, not for storage nodes."""
    for host in ("lab-hv-01", "lab-st-01"):
        lab.ssh(host, "sudo sysctl -qw net.ipv4.ip_forward=1")
    try:
        result = lab.converge(tags="R12.ip_forward", limit="lab-hv-01,lab-st-01")
        assert result.succeeded, failures(result)
        assert lab.ssh("lab-hv-01", "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
        assert lab.ssh("lab-st-01", "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"
        assert "net.ipv4.ip_forward" not in lab.ssh("lab-hv-01", f"cat {SYSCTL_FILE}").stdout
        assert "net.ipv4.ip_forward = 0" in lab.ssh("lab-st-01", f"cat {SYSCTL_FILE}").stdout
    finally:
        lab.ssh("lab-hv-01", "sudo sysctl -qw net.ipv4.ip_forward=0")


def test_an_sshd_change_that_locks_clients_out_is_rolled_back(lab: LabSession, operator_ok: None):
    """sshd -t accepts a KEX the clients do not speak; only the fresh connection after the reload can tell."""
    before = lab.ssh("lab-st-01", "sudo md5sum /etc/ssh/sshd_config.d/00-sovcloud-hardening.conf").stdout
    result = lab.converge(
        tags="SSH-R4.kex", limit="lab-st-01", extravars={"hardening_ssh_kex_algorithms": ["diffie-hellman-group1-sha1"]}
    )
    assert not result.succeeded
    assert "SSHD CHANGE ROLLED BACK" in failures(result)
    assert "no matching key exchange method" in failures(result)
    assert lab.ssh("lab-st-01", "sudo md5sum /etc/ssh/sshd_config.d/00-sovcloud-hardening.conf").stdout == before


def test_a_sudo_policy_that_would_break_become_is_rolled_back(lab: LabSession, operator_ok: None):
    """Without the EXEC grant, `Defaults noexec` stops python3 under sudo /bin/sh: the trap of R39."""
    before = lab.ssh("lab-st-01", "sudo md5sum /etc/sudoers.d/zz-sovcloud-hardening").stdout
    result = lab.converge(tags="R39.sudo_noexec", limit="lab-st-01", extravars={"hardening_automation_users": []})
    assert not result.succeeded
    assert "SUDO POLICY ROLLED BACK" in failures(result)
    assert lab.ssh("lab-st-01", "sudo md5sum /etc/sudoers.d/zz-sovcloud-hardening").stdout == before
    again = lab.converge(tags="R39.sudo_noexec", limit="lab-st-01")
    assert again.succeeded, failures(again)
