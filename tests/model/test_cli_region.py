"""`sovcloud validate` and `sovcloud show` as a user runs them: real processes, real stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def sovcloud(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sovcloud_infra", *args], cwd=cwd, capture_output=True, text=True)


def test_show_lab_json_describes_the_region():
    result = sovcloud("show", "lab", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["region"] == "lab" and data["hosts"] == 3 and data["racks"] == 1
    assert data["roles"] == {"controller": 1, "hypervisor": 1, "network": 1, "storage": 1}
    assert {n["purpose"] for n in data["networks"]} == {"management", "storage", "tenant-overlay", "external"}
    assert data["datacenters"][0]["availability_zone"] == "lab-az1"
    assert data["sre_accounts"] == ["alice", "bob"]


def test_show_fr_par_1_has_every_role_and_network_purpose():
    data = json.loads(sovcloud("show", "fr-par-1", "--json").stdout)
    assert len(data["datacenters"]) == 2 and all(dc["country"] == "FR" for dc in data["datacenters"])
    assert data["racks"] >= 6 and 100 <= data["hosts"] <= 140
    assert set(data["roles"]) == {"controller", "network", "hypervisor", "storage"}
    purposes = {n["purpose"] for n in data["networks"]}
    assert purposes == {"management", "bmc", "storage", "storage-replication", "tenant-overlay", "provider", "external"}


def test_show_human_output_names_zones_and_roles():
    result = sovcloud("show", "lab")
    assert result.returncode == 0
    for word in ("lab-az1", "hypervisor", "lab-mgmt", "ceph-ssd", "alice"):
        assert word in result.stdout


def test_unknown_stack_is_one_clear_line_and_exit_1():
    result = sovcloud("validate", "no-such-region")
    assert result.returncode == 1
    assert "no stack directory" in result.stderr and "'no-such-region'" in result.stderr
    assert "known stacks: fr-par-1, lab" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_as_of_date_is_a_usage_error():
    result = sovcloud("validate", "lab", "--as-of", "tomorrow")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


def test_waivers_expire_with_time():
    assert sovcloud("validate", "lab", "--as-of", "2027-11-30").returncode == 0
    late = sovcloud("validate", "lab", "--as-of", "2027-12-01", "--json")
    assert late.returncode == 1
    assert {p["code"] for p in json.loads(late.stdout)["problems"]} == {"waiver-expired"}


def test_stack_found_from_any_working_directory(tmp_path):
    result = sovcloud("validate", "lab", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
