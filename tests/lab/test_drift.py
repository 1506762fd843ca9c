"""`sovcloud drift --hosts` on the lab's real hosts: hand changes are found, named and healed.

Every run below is the real CLI (a subprocess) against the session's lab. Tampers
are applied in rounds, one per host, so that one drift run proves three things at
once: each host reports exactly its own control and no other host drifts. After
each round a converge heals the hosts and the drift check is back to 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, LabSession, fast_fail_ssh, sovcloud

pytestmark = [pytest.mark.lab]
HOSTS = ["lab-ctl-01", "lab-hv-01", "lab-st-01"]


@dataclass(frozen=True)
class Tamper:
    name: str
    host: str
    command: str  # run with sudo on the host
    controls: frozenset[str]  # what the drift check must name, exactly


ROUNDS = [
    [
        Tamper("a sysctl file", "lab-hv-01",
               "sh -c 'echo net.ipv4.conf.all.accept_redirects = 1 > /etc/sysctl.d/zzz-drift.conf"
               " && sysctl -q -p /etc/sysctl.d/zzz-drift.conf'",
               frozenset({"R12.accept_redirects"})),
        # The ANSSI guide (R33) and its SSH note (SSH-R3) both name root login: one sshd setting, two IDs.
        Tamper("sshd_config", "lab-ctl-01",
               "sh -c 'umask 077; echo PermitRootLogin yes > /etc/ssh/sshd_config.d/00-drift.conf'",
               frozenset({"R33.permit_root_login", "SSH-R3.permit_root_login"})),
        Tamper("a package installed", "lab-st-01",
               "sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get -q -o DPkg::Lock::Timeout=120 install -y telnetd"
               " || { apt-get -q update && apt-get -q install -y telnetd; }'",
               frozenset({"R62.legacy_servers_absent"})),
    ],
    [
        Tamper("a service enabled", "lab-ctl-01", "systemctl enable -q debug-shell.service",
               frozenset({"R62.services_disabled"})),
        Tamper("a file mode", "lab-hv-01", "chmod 0644 /etc/shadow", frozenset({"R50.shadow_mode"})),
        Tamper("a chrony server", "lab-st-01",
               "sh -c 'echo server 192.0.2.123 iburst >> /etc/chrony/chrony.conf'", frozenset({"snc_12_8"})),
    ],
]  # fmt: skip


def drift(lab: LabSession) -> tuple[int, dict[str, Any]]:
    """The real CLI with its JSON report on stdout: (exit code, report)."""
    run = sovcloud("drift", str(lab.stack), "--hosts", "--inventory", str(lab.inventory), "--format", "json")
    assert run.stdout.strip(), run.stderr
    return run.returncode, json.loads(run.stdout)


def drifted(report: dict[str, Any]) -> dict[str, set[str]]:
    """host -> controls that drifted (hosts without drift are absent)."""
    found: dict[str, set[str]] = {}
    for host in report["hosts"]["hosts"]:
        controls = {c["control"] for c in host["controls"] if c["status"] == "drifted"}
        if controls or host["changes"]:
            found[host["host"]] = controls
    return found


def unexpected(report: dict[str, Any], expected: dict[str, set[str]]) -> str:
    """The report's entries for hosts whose drift differs from ``expected``: the tasks that would change (with
    their diffs) and the failing controls with the audit's evidence, so a failure says what was found."""
    found = drifted(report)
    lines = [f"expected {expected}", f"found    {found}"]
    for host in report["hosts"]["hosts"]:
        if found.get(host["host"]) == expected.get(host["host"]):
            continue
        drifting = [c for c in host["controls"] if c["status"] == "drifted"]
        lines.append(json.dumps({"host": host["host"], "changes": host["changes"], "controls": drifting}, indent=1))
    return "\n".join(lines)[-6000:]


@pytest.fixture(scope="module")
def converged(lab: LabSession) -> None:
    """Start from a converged lab whatever the tests before did."""
    result = lab.converge()
    assert result.succeeded, {h: o.failures for h, o in result.hosts.items()}


def test_a_converged_lab_has_no_drift_and_an_all_passing_junit(lab: LabSession, converged: None, tmp_path: Path):
    junit = tmp_path / "drift.xml"
    run = sovcloud("drift", str(lab.stack), "--hosts", "--inventory", str(lab.inventory),
                   "--format", "junit", "--output", str(junit))  # fmt: skip
    assert run.returncode == 0, run.stderr + junit.read_text()[-3000:]
    suites = ET.parse(junit).getroot()
    assert suites.get("failures") == "0" and suites.get("errors") == "0"
    cases = suites.findall(".//testcase")
    assert len(cases) > 100  # one per host and control
    assert not [c for c in cases if c.find("failure") is not None or c.find("error") is not None]


def test_hand_changes_drift_exactly_that_host_and_control_then_a_converge_heals(lab: LabSession, converged: None):
    """Two rounds of three hand changes (one per host); a converge heals each round; then no drift at all."""
    tampered = False
    try:
        for round_ in ROUNDS:
            tampered = True
            for tamper in round_:
                lab.ssh(tamper.host, f"sudo {tamper.command}")
            rc, report = drift(lab)
            assert rc == 2, report
            expected = {t.host: set(t.controls) for t in round_}
            assert drifted(report) == expected, unexpected(report, expected)
            _remove_stray_files(lab)
            healed = lab.converge()
            assert healed.succeeded, {h: o.failures for h, o in healed.hosts.items()}
            tampered = False
    finally:
        _remove_stray_files(lab)
        if tampered:  # a failed assertion above: leave the lab converged for the tests after this one
            lab.converge()
    rc, report = drift(lab)
    assert rc == 0, drifted(report)


def _remove_stray_files(lab: LabSession) -> None:
    """The roles do not own other people's drop-ins (an sshd_config.d or sysctl.d file): the drift check names
    the control they break, and a person removes them; what the roles own, a converge heals."""
    sshd = "rm -f /etc/ssh/sshd_config.d/00-drift.conf && sshd -t && systemctl reload ssh"  # the daemon forgets it too
    lab.ssh("lab-ctl-01", f"sudo sh -c '{sshd}'", check=False)
    lab.ssh("lab-hv-01", "sudo rm -f /etc/sysctl.d/zzz-drift.conf", check=False)


def test_an_unreachable_host_is_an_error_and_the_others_are_still_reported(
    lab: LabSession, converged: None, tmp_path: Path
):
    """lab-st-01's management link goes down (the host is gone as far as Ansible can tell): exit 1, that host
    reported unreachable with its error, the two others checked and reported as usual."""
    veth = lab.paths.veth_name("lab-st-01", 0)
    with fast_fail_ssh(tmp_path / "cp") as env:
        subprocess.run(["ip", "link", "set", "dev", veth, "down"], check=True)
        try:
            run = subprocess.run([sys.executable, "-m", "sovcloud_infra", "drift", str(lab.stack), "--hosts",
                                  "--inventory", str(lab.inventory), "--format", "json"],
                                 cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True,
                                 timeout=900)  # fmt: skip
        finally:
            subprocess.run(["ip", "link", "set", "dev", veth, "up"], check=True)
    assert run.returncode == 1, run.stderr[-3000:]
    by_host = {h["host"]: h for h in json.loads(run.stdout)["hosts"]["hosts"]}
    assert by_host["lab-st-01"]["unreachable"] and by_host["lab-st-01"]["error"], by_host["lab-st-01"]
    for host in ("lab-ctl-01", "lab-hv-01"):
        assert not by_host[host]["error"] and by_host[host]["controls"], by_host[host]
        assert not [c for c in by_host[host]["controls"] if c["status"] == "drifted"]
    lab.ssh("lab-st-01", "true")  # back
