"""playbooks/rack.yml on the lab: a host lost mid-run is reported, the others converge, a rerun heals it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import LabSession, fast_fail_ssh

pytestmark = [pytest.mark.lab, pytest.mark.host_roles]

RACK = "lab-r01"
VICTIM = "lab-hv-01"


def _mgmt_veth(lab: LabSession) -> str:
    return lab.paths.veth_name(VICTIM, 0)


def test_rack_host_lost_mid_run_is_reported_others_converge(lab: LabSession, tmp_path: Path):
    veth = _mgmt_veth(lab)
    cut = {"done": False}

    def on_event(event: dict[str, Any]) -> None:
        # Cut the victim's management link when the converge play (after pre-flight) starts.
        data = event.get("event_data", {})
        if (
            event.get("event") == "playbook_on_play_start"
            and "batches" in str(data.get("play", ""))
            and not cut["done"]
        ):
            subprocess.run(["ip", "link", "set", "dev", veth, "down"], check=True)
            cut["done"] = True

    with fast_fail_ssh(tmp_path / "cp") as env:
        try:
            result = lab.converge(playbook="playbooks/rack.yml", extravars={"rack": RACK}, env=env, on_event=on_event)
        finally:
            subprocess.run(["ip", "link", "set", "dev", veth, "up"], check=True)
    assert cut["done"]
    victim = result.hosts[VICTIM]
    assert victim.unreachable or victim.failures, victim
    for host in ("lab-ctl-01", "lab-st-01"):
        outcome = result.hosts[host]
        assert not outcome.failures and not outcome.unreachable, (host, outcome)

    rerun = lab.converge(playbook="playbooks/rack.yml", extravars={"rack": RACK})
    assert rerun.succeeded, {h: o.failures for h, o in rerun.hosts.items()}
    assert not rerun.hosts[VICTIM].failures and not rerun.hosts[VICTIM].unreachable


def test_storage_role_refuses_missing_disk_and_leaves_host_unchanged(lab: LabSession):
    digest = "sudo find /etc -xdev -type f -print0 | sort -z | sudo xargs -0 sha256sum | sha256sum"
    before = lab.ssh("lab-st-01", digest).stdout
    result = lab.converge(
        playbook="playbooks/rack.yml",
        limit="lab-st-01",
        tags="host_role",
        extravars={"storage_node_disk_stage": "enforce"},
    )
    assert not result.succeeded
    failures = str(result.hosts["lab-st-01"].failures)
    assert "LAB-OSD-0001" in failures and "nothing was changed" in failures
    assert lab.ssh("lab-st-01", digest).stdout == before
