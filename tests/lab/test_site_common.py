"""The site playbook with the common role, on the lab's real hosts."""

from __future__ import annotations

import json

import pytest

from .conftest import LabSession, sovcloud

pytestmark = pytest.mark.lab

HOSTS = ["lab-ctl-01", "lab-hv-01", "lab-st-01"]


def test_lab_boots_the_model_hosts(lab: LabSession):
    assert sorted(lab.hostnames) == HOSTS
    result = sovcloud("lab", "status", lab.name, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["running"] and data["mirror"]["running"]
    assert {h["hostname"]: h["management"] for h in data["hosts"]} == {
        "lab-ctl-01": lab.ip("0.11"),
        "lab-hv-01": lab.ip("0.12"),
        "lab-st-01": lab.ip("0.13"),
    }


def test_hosts_have_the_model_nics_and_macs(lab: LabSession):
    host = lab.testinfra("lab-hv-01")
    assert host.interface("eth0").addresses[0] == lab.ip("0.12")
    macs = {nic: host.file(f"/sys/class/net/{nic}/address").content_string.strip() for nic in ("eth0", "eth1", "eth2")}
    assert macs == {"eth0": lab.mac("01:12"), "eth1": lab.mac("02:12"), "eth2": lab.mac("03:12")}


def test_ansible_connects_as_a_named_operator_not_root(lab: LabSession):
    assert lab.ssh("lab-ctl-01", "id -un").stdout.strip() == "alice"
    assert lab.ssh("lab-ctl-01", "sudo -n id -un").stdout.strip() == "root"


def test_first_converge_succeeds_on_every_host(lab: LabSession):
    result = lab.first_converge
    assert result.succeeded, {h: o.failures for h, o in result.hosts.items()}
    assert sorted(result.hosts) == HOSTS
    # A fresh host really changes: the recap is read, not assumed.
    assert all(o.changed >= 10 and o.changed == len(o.changed_tasks) for o in result.hosts.values())


def test_second_converge_changes_nothing(lab: LabSession):
    """site.yml, every role (baseline, host roles, hardening): the run after a converge changes nothing.

    Other tests of the session break and restore hosts; converge once so that "second" really
    follows a converge, then the next run must change nothing."""
    assert lab.converge().succeeded
    result = lab.converge()
    assert result.succeeded
    assert all(o.ok >= 20 for o in result.hosts.values()), "the recap must count the tasks that ran"
    assert {h: o.changed for h, o in result.hosts.items()} == dict.fromkeys(HOSTS, 0), {
        h: o.changed_tasks for h, o in result.hosts.items()
    }


def test_check_mode_on_a_converged_host_reports_no_change(lab: LabSession):
    result = lab.converge(check=True, diff=True)
    assert result.succeeded
    assert all(o.ok >= 20 for o in result.hosts.values()), "the recap must count the tasks that ran"
    assert {h: o.changed for h, o in result.hosts.items()} == dict.fromkeys(HOSTS, 0), {
        h: o.changed_tasks for h, o in result.hosts.items()
    }


@pytest.mark.parametrize("hostname", HOSTS)
def test_time_comes_from_the_models_internal_servers(lab: LabSession, hostname: str):
    host = lab.testinfra(hostname)
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert f"server {lab.ip('0.1')} iburst" in conf and f"server {lab.ip('0.2')} iburst" in conf
    assert "pool " not in conf
    assert host.service("chrony").is_running and host.service("chrony").is_enabled
    sources = host.check_output("chronyc -n sources")
    assert lab.ip("0.1") in sources and lab.ip("0.2") in sources


@pytest.mark.parametrize("hostname", HOSTS)
def test_apt_uses_the_operators_mirror_only(lab: LabSession, hostname: str):
    host = lab.testinfra(hostname)
    assert not host.file("/etc/apt/sources.list").exists
    sources = host.check_output("ls /etc/apt/sources.list.d/").split()
    assert sources == ["debian.sources"]
    uris = {
        line.split(":", 1)[1].strip()
        for line in host.file("/etc/apt/sources.list.d/debian.sources").content_string.splitlines()
        if line.startswith("URIs:")
    }
    assert uris == {
        f"http://{lab.ip('0.1')}:3142/deb.debian.org/debian",
        f"http://{lab.ip('0.1')}:3142/deb.debian.org/debian-security",
    }
    # The mirror really serves the host: a real update through it succeeds.
    assert host.run("apt-get -q update").rc == 0


def test_unattended_security_upgrades_are_on(lab: LabSession):
    host = lab.testinfra("lab-st-01")
    assert host.package("unattended-upgrades").is_installed
    assert 'APT::Periodic::Unattended-Upgrade "1";' in host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert "Debian-Security" in host.file("/etc/apt/apt.conf.d/52sovcloud-unattended-upgrades").content_string
    assert host.service("apt-daily-upgrade.timer").is_enabled


@pytest.mark.parametrize("hostname", HOSTS)
def test_sre_accounts_keys_and_sudo_come_from_the_model(lab: LabSession, hostname: str):
    host = lab.testinfra(hostname)
    for name in ("alice", "bob"):
        user = host.user(name)
        assert user.exists and "sre-core" in user.groups and user.shell == "/bin/bash"
        assert "(sovcloud SRE)" in user.gecos
    bob_keys = host.file("/home/bob/.ssh/authorized_keys").content_string.strip().splitlines()
    assert bob_keys == [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClLN77kAL7aNpmyqM4jmTklyYkuMu7+W3p/NAkYkcLr bob@sovcloud-ops"
    ]
    sudoers = host.file("/etc/sudoers.d/50-sovcloud-sre")
    assert sudoers.mode == 0o440 and "%sre-core ALL=(ALL:ALL) NOPASSWD: ALL" in sudoers.content_string
    assert host.run("visudo -c").rc == 0


def test_hostname_and_hosts_file_from_the_model(lab: LabSession):
    host = lab.testinfra("lab-st-01")
    assert host.check_output("hostname") == "lab-st-01"
    hosts = host.file("/etc/hosts").content_string
    for line in (
        f"{lab.ip('0.11')}\tlab-ctl-01.lab.sovcloud.internal lab-ctl-01",
        f"{lab.ip('0.12')}\tlab-hv-01.lab.sovcloud.internal lab-hv-01",
        f"{lab.ip('0.13')}\tlab-st-01.lab.sovcloud.internal lab-st-01",
    ):
        assert line in hosts


def test_journal_is_persistent_and_logs_forwarded_over_tls(lab: LabSession):
    host = lab.testinfra("lab-ctl-01")
    assert "Storage=persistent" in host.file("/etc/systemd/journald.conf.d/60-sovcloud.conf").content_string
    assert host.file("/var/log/journal").is_directory
    forward = host.file("/etc/rsyslog.d/60-sovcloud-forward.conf").content_string
    assert f'target="{lab.ip("0.1")}" port="6514" protocol="tcp"' in forward
    assert 'StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"' in forward
    assert host.package("rsyslog-gnutls").is_installed
    assert host.run("rsyslogd -N1").rc == 0
    assert host.service("rsyslog").is_running


def test_login_banner(lab: LabSession):
    host = lab.testinfra("lab-hv-01")
    for path in ("/etc/issue", "/etc/issue.net", "/etc/motd"):
        assert "authorised SRE access only" in host.file(path).content_string


def test_a_departed_account_is_locked_by_the_next_converge(lab: LabSession):
    """Offboarding: an SRE account that left the model is locked and loses its keys, the others stay."""
    host = lab.testinfra("lab-ctl-01")
    host.run_expect([0], "useradd -m -c 'Carol Petit (sovcloud SRE)' -s /bin/bash carol")
    keys = "/home/carol/.ssh/authorized_keys"
    host.run_expect([0], f"install -d -o carol -m 700 /home/carol/.ssh && echo 'ssh-ed25519 AAAA carol' > {keys}")
    try:
        result = lab.converge(limit="lab-ctl-01")
        assert result.succeeded
        carol = host.user("carol")
        shadow = host.check_output("getent shadow carol").split(":")
        assert carol.shell == "/usr/sbin/nologin"
        assert shadow[1].startswith("!") and shadow[7] == "0"  # password locked, account expired on day 0
        assert not host.file("/home/carol/.ssh/authorized_keys").exists
        assert host.user("alice").shell == "/bin/bash"
    finally:
        host.run("userdel -r carol")


@pytest.mark.lab_teardown
def test_lab_down_leaves_nothing_behind(lab: LabSession):
    from sovcloud_infra.lab import leftovers

    result = sovcloud("lab", "down", lab.name)
    assert result.returncode == 0, result.stderr
    assert not leftovers(lab.name)
    assert sovcloud("lab", "status", lab.name).returncode == 3
