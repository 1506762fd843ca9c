"""`sovcloud plan` as an SRE runs it: real processes, the real program, temporary git repositories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AGGREGATE = "openstack:compute/aggregateV2:AggregateV2"

NEW_RACK = """\
rack:
  name: lab-r02
  datacenter: lab-dc1
  index: 2
  height_u: 42
  power_budget_w: 2000

hosts:
  - hostname: lab-hv-02
    position_u: 12
    roles: [hypervisor]
    hardware: lab-container
    hypervisor_class: lab-general
    nics:
      - {name: eth0, mac: "52:54:00:42:11:12"}
      - {name: eth1, mac: "52:54:00:42:12:12"}
    networks:
      - {network: lab-mgmt, interface: eth0}
      - {network: lab-storage, interface: eth1}
      - {network: lab-overlay, interface: eth1}
    disks:
      - {device: /dev/vda, size_gb: 40, purpose: os}
"""


def run(*args: str, cwd: Path, tmpdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=SRE", "-c", "user.email=sre@example.eu", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def make_repo(root: Path) -> Path:
    """A project with the lab stack only, committed once: the code and stack files of this checkout."""
    repo = root / "repo"
    repo.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, repo / name)
    shutil.copytree(REPO / "sovcloud_infra", repo / "sovcloud_infra", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "stacks" / "lab", repo / "stacks" / "lab")
    shutil.copy(REPO / "stacks" / "Pulumi.lab.yaml", repo / "stacks" / "Pulumi.lab.yaml")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "lab region")
    return repo


@pytest.fixture(scope="module")
def rack_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("rack"))
    (repo / "stacks" / "lab" / "racks" / "lab-r02.yaml").write_text(NEW_RACK, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "lab: rack lab-r02 with hypervisor lab-hv-02")
    return repo


def test_a_rack_addition_creates_its_aggregate_and_only_extends_host_lists(rack_repo: Path, tmp_path: Path):
    result = run("plan", "lab", "--against", "HEAD~1", "--json", cwd=rack_repo, tmpdir=tmp_path)
    assert result.returncode == 2, result.stderr
    data = json.loads(result.stdout)
    against = data["against"]
    assert against["summary"] == {"create": 1, "update": 2, "replace": 0, "delete": 0}
    changes = {(c["op"], c["type"], c["name"]): c for c in against["changes"]}
    assert set(changes) == {
        ("create", AGGREGATE, "rack-lab-r02"),
        ("update", AGGREGATE, "az-lab-az1"),
        ("update", AGGREGATE, "class-lab-general"),
    }
    created = {p["path"]: p["new"] for p in changes[("create", AGGREGATE, "rack-lab-r02")]["properties"]}
    assert created == {
        "name": "rack-lab-r02",
        "hosts": ["lab-hv-02"],
        "metadata": {"rack": "lab-r02", "datacenter": "lab-dc1", "fire_zone": "lab-fz1"},
    }
    for name in ("az-lab-az1", "class-lab-general"):
        props = changes[("update", AGGREGATE, name)]["properties"]
        assert props == [{"path": "hosts", "replaces": False, "added": ["lab-hv-02"], "removed": []}]
    assert all(p["passed"] for p in data["policies"])
    assert list(tmp_path.iterdir()) == [], "the exported revision was not cleaned up"


def test_the_human_diff_is_labelled_offline_and_property_by_property(rack_repo: Path):
    result = run("plan", "lab", "--against", "HEAD~1", cwd=rack_repo)
    assert result.returncode == 2, result.stderr
    out = result.stdout
    assert "offline rendering (SDK mock runtime), not a cloud preview" in out
    assert "+ create  rack-lab-r02 (compute.AggregateV2)" in out
    assert "~ update  az-lab-az1 (compute.AggregateV2)\n        hosts: + 'lab-hv-02'" in out
    assert "summary: 1 to create, 2 to update, 0 to replace, 0 to delete" in out


def test_no_differences_exit_0(rack_repo: Path):
    result = run("plan", "lab", "--against", "HEAD", cwd=rack_repo)
    assert result.returncode == 0, result.stderr
    assert "no differences" in result.stdout


def test_a_vlan_change_replaces_the_network_and_its_subnet(tmp_path: Path):
    repo = make_repo(tmp_path)
    networks = repo / "stacks" / "lab" / "networks.yaml"
    networks.write_text(networks.read_text(encoding="utf-8").replace("vlan: 20", "vlan: 21"), encoding="utf-8")
    result = run("plan", "lab", "--against", "HEAD", "--json", cwd=repo)  # the working tree against HEAD
    assert result.returncode == 2, result.stderr
    changes = {(c["op"], c["name"]): c for c in json.loads(result.stdout)["against"]["changes"]}
    assert set(changes) == {("replace", "lab-storage"), ("replace", "lab-storage-v4")}
    segment = changes[("replace", "lab-storage")]["properties"][0]
    assert segment["path"] == "segments" and segment["replaces"] is True
    assert segment["new"][0]["segmentationId"] == 21
    assert changes[("replace", "lab-storage-v4")]["reasons"] == ["networkId refers to lab-storage, which is replaced"]


def test_a_mandatory_policy_failure_exits_2(tmp_path: Path):
    repo = make_repo(tmp_path)
    catalog = repo / "stacks" / "lab" / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    twin = text.split("hypervisor_classes:\n", 1)[1].replace("name: lab-general", "name: lab-twin")
    catalog.write_text(text + twin, encoding="utf-8")
    result = run("plan", "lab", cwd=repo)
    assert result.returncode == 2, result.stderr + result.stdout
    assert "SOV009" in result.stdout and "FAIL" in result.stdout
    assert "flavor name 'SCS-1L-2-20' is used by both" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "nowhere"), "no stack 'nowhere'"),
        (("plan", "lab", "--against", "no-such-ref"), "'no-such-ref' is not a commit"),
    ],
)
def test_errors_are_one_message_and_exit_1(rack_repo: Path, tmp_path: Path, args: tuple[str, ...], message: str):
    result = run(*args, cwd=rack_repo, tmpdir=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_region_is_reported_with_its_problems(tmp_path: Path):
    repo = make_repo(tmp_path)
    region = repo / "stacks" / "lab" / "region.yaml"
    region.write_text(region.read_text(encoding="utf-8").replace("country: FR", "country: US"), encoding="utf-8")
    result = run("plan", "lab", cwd=repo)
    assert result.returncode == 1
    assert "region 'lab' is invalid" in result.stderr and "Traceback" not in result.stderr


def test_against_outside_a_git_repository_is_an_error(tmp_path: Path):
    repo = make_repo(tmp_path)
    shutil.rmtree(repo / ".git")
    result = run("plan", "lab", "--against", "HEAD~1", cwd=repo)
    assert result.returncode == 1 and "git rev-parse" in result.stderr


def test_fr_par_1_renders_without_policy_violations():
    result = run("plan", "fr-par-1", "--json", cwd=REPO)
    assert result.returncode == 0, result.stderr + result.stdout
    data = json.loads(result.stdout)
    assert data["kind"] == "offline-rendering" and "not a cloud preview" in data["label"]
    assert [p["id"] for p in data["policies"] if not p["passed"]] == []
    counts = data["counts"]
    assert counts[AGGREGATE] == 2 + 8 + 2  # zones, racks, classes
    assert counts["openstack:networking/network:Network"] == 12
    assert counts["openstack:compute/flavor:Flavor"] == 10
    assert data["against"] is None and data["exit_code"] == 0


def test_human_plan_shows_the_tree_counts_and_policies():
    result = run("plan", "lab", cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("sovcloud plan lab: offline rendering (SDK mock runtime), not a cloud preview")
    assert "├─ az-lab-az1 (AvailabilityZone)" in out and "az-lab-az1 (compute.AggregateV2) [protected]" in out
    assert "openstack:networking/network:Network" in out and "sovcloud:cloud:ProviderNetwork" in out
    assert "SOV001 az-in-allowed-jurisdiction" in out
