"""From the catalogue to the playbook's input, and from ansible-runner events to host audits.

The last tests run the real audit playbook and module on this machine (a local
connection, no lab needed): read-only, changed=False, in check mode and out of it.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
import yaml

from sovcloud_infra.audit.collect import (
    AUDIT_PLAYBOOK,
    audit_extravars,
    checks_for_level,
    collected_from_events,
    host_audit,
    run_audit,
)
from sovcloud_infra.hardening.catalogue import LEVELS, Catalogue

from .conftest import CATALOGUE_FILE, compliant_evidence, context


def test_checks_for_a_level_are_the_automated_controls_with_a_check(catalogue: Catalogue):
    ids = [c["id"] for c in checks_for_level(catalogue, "intermediary")]
    assert "R30" not in ids and "R2" not in ids and "R50.review" not in ids  # manual: nothing to collect
    assert "R37.apparmor" not in ids  # enhanced only
    assert ids[:3] == ["R9.dmesg_restrict", "R11.ptrace_scope", "R12.accept_redirects_all"]
    first = checks_for_level(catalogue, "intermediary")[0]
    assert first == {
        "id": "R9.dmesg_restrict",
        "check": {"kind": "sysctl", "key": "kernel.dmesg_restrict", "value": "1"},
        "skip_in_container": True,
    }
    assert "R37.apparmor" in [c["id"] for c in checks_for_level(catalogue, "high")]


def test_extravars_carry_every_level_without_template_syntax(catalogue: Catalogue):
    extravars = audit_extravars(catalogue)["sovcloud_audit_checks_b64"]
    assert list(extravars) == list(LEVELS)
    for level, encoded in extravars.items():
        assert not any(c in encoded for c in "{}%#$")
        assert json.loads(base64.b64decode(encoded)) == checks_for_level(catalogue, level)


def _ok(host: str, evidence: dict[str, object], ctx: dict[str, object]) -> dict[str, object]:
    return {
        "event": "runner_on_ok",
        "event_data": {
            "host": host,
            "task": "Collect the evidence of the hardening controls",
            "task_action": "sovcloud_evidence",
            "res": {"changed": False, "evidence": evidence, "context": ctx, "seconds": 0.4},
        },
    }


def test_events_become_host_audits_and_unreachable_hosts_errors(catalogue: Catalogue):
    events = [
        {"event": "playbook_on_start", "event_data": {}},
        {
            "event": "runner_on_ok",
            "event_data": {"host": "a", "task": "Require", "task_action": "assert", "res": {"changed": False}},
        },
        _ok("a", compliant_evidence(), context()),
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "b", "res": {"msg": "ssh: connect to host b port 22: Connection refused"}},
        },
        {
            "event": "runner_on_failed",
            "event_data": {"host": "c", "task": "Require the checks", "res": {"msg": "run this playbook through"}},
        },
    ]
    collected = collected_from_events(events, hosts=["a", "b", "c", "d"])
    audits = {h: host_audit(catalogue, c) for h, c in collected.items()}
    assert audits["a"].error is None and audits["a"].results and audits["a"].collect_seconds == 0.4
    assert audits["b"].unreachable and audits["b"].error == (
        "unreachable: ssh: connect to host b port 22: Connection refused"
    )
    assert audits["c"].error == "Require the checks: run this playbook through" and not audits["c"].unreachable
    assert audits["d"].error == "the evidence module returned nothing"


@pytest.fixture(scope="module")
def local_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This machine as a host: local connection, already root (there is no sudo here)."""
    path = tmp_path_factory.mktemp("inv") / "hosts.yml"
    host = {
        "ansible_connection": "local",
        "ansible_become": False,
        "sovcloud_hardening_level": "intermediary",
        "sovcloud_host_groups": ["controllers"],
        "sovcloud_waivers": [
            {
                "control": "R12.ip_forward",
                "host_group": "controllers",
                "justification": "test",
                "owner": "me",
                "expires": "2999-01-01",
            }
        ],
    }
    path.write_text(yaml.safe_dump({"all": {"hosts": {"this-machine": host}}}))
    return path


@pytest.fixture(scope="module")
def local_catalogue() -> Catalogue:
    """The fixture catalogue with its unowned-files scan limited to /etc (this machine's / is large)."""
    data = yaml.safe_load(CATALOGUE_FILE.read_text())
    rec = next(r for r in data["recommendations"] if r["id"] == "R53")
    rec["controls"][0]["check"]["command"] = "find /etc -xdev \\( -nouser -o -nogroup \\) -print | head -n 50"
    return Catalogue.model_validate(data)


@pytest.mark.skipif(os.geteuid() != 0, reason="the evidence module reads root-only files (run as root)")
def test_the_real_playbook_collects_evidence_read_only_in_and_out_of_check_mode(
    local_catalogue: Catalogue, local_inventory: Path
):
    assert AUDIT_PLAYBOOK == "playbooks/audit.yml"
    catalogue = local_catalogue
    reports = [run_audit("audit-unit", catalogue, inventory=local_inventory, check=check) for check in (True, False)]
    for report in reports:
        assert report.errors == [] and [h.host for h in report.hosts] == ["this-machine"]
        host = report.hosts[0]
        assert host.error is None, host.error
        assert host.changed is False
        assert host.level == "intermediary" and host.host_groups == ["controllers"]
        results = {r.control: r for r in host.results}
        assert results["R12.ip_forward"].status.value == "waived"
        assert results["R53.unowned"].evidence["command"].startswith("find /etc -xdev")
        kernel = results["R9.dmesg_restrict"]
        if host.container is None:
            assert kernel.evidence["live"] in ("0", "1")  # the machine's real value
    check_mode, normal = (r.statuses() for r in reports)
    assert check_mode == normal
