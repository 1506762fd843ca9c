"""The Ansible inventory comes from the model: groups, host variables, and the real plugin."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sovcloud_infra.inventory import build_inventory
from sovcloud_infra.model import load_region

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible_inventory(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    return subprocess.run(
        [str(BIN / "ansible-inventory"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_groups_per_role_datacenter_zone_and_rack():
    inv = build_inventory(load_region(REPO / "stacks" / "fr-par-1", today=dt.date(2026, 11, 29)))
    region = inv.groups["region_fr_par_1"]["children"]
    for group in ("controllers", "network_nodes", "hypervisors", "storage_nodes", "dc_fr_par_1_dc1", "az_fr_par_1a"):
        assert group in region
    assert inv.groups["dc_fr_par_1_dc1"]["children"] == [f"rack_fr_par_1_dc1_r0{i}" for i in range(1, 5)]
    racks = [g for g in inv.groups if g.startswith("rack_")]
    assert sum(len(inv.groups[r]["hosts"]) for r in racks) == 120
    assert len(inv.groups["controllers"]["hosts"]) == 3


def test_host_variables_carry_the_topology():
    inv = build_inventory(load_region(REPO / "stacks" / "lab", today=dt.date(2026, 11, 29)))
    hv = inv.hostvars["lab-hv-01"]
    assert hv["ansible_host"] == "10.42.0.12"
    assert [i["network"] for i in hv["sovcloud_interfaces"]] == ["lab-mgmt", "lab-storage", "lab-overlay"]
    assert hv["sovcloud_interfaces"][1] == {
        "network": "lab-storage",
        "purpose": "storage",
        "device": "bond0",
        "l3_device": "vlan20",  # bond0 is a trunk (storage and overlay): the address sits on the VLAN
        "vlan": 20,
        "address": "10.42.1.27/24",
        "gateway": None,
        "mtu": 9000,
    }
    assert hv["sovcloud_bonds"] == [{"name": "bond0", "mode": "802.3ad"}]
    assert hv["sovcloud_hypervisor_class"]["name"] == "lab-general"
    assert hv["sovcloud_hardening_level"] == "intermediary"
    assert {w["control"] for w in hv["sovcloud_waivers"]} == {"R12.ip_forward", "R28.var_noexec", "R8.mds"}
    assert inv.groups["all"]["vars"]["sovcloud_services"]["ntp_servers"] == ["10.42.0.1", "10.42.0.2"]


def test_ansible_inventory_graph_through_the_plugin():
    result = ansible_inventory("-i", "inventories/lab", "--graph")
    assert result.returncode == 0, result.stderr
    for line in ("@region_lab:", "@hypervisors:", "@rack_lab_r01:", "|--lab-hv-01"):
        assert line in result.stdout


def _plain(value: object) -> object:
    """Drop ansible-core 2.19's ``{"__ansible_unsafe": ...}`` wrapper (plugin data is never templated)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_ansible_inventory_list_has_the_hostvars():
    data = _plain(json.loads(ansible_inventory("-i", "inventories/fr-par-1", "--list").stdout))
    assert isinstance(data, dict)
    host = data["_meta"]["hostvars"]["fr-par-1-dc2-r01-ctl01"]
    assert host["sovcloud_datacenter"] == "fr-par-1-dc2" and host["sovcloud_roles"] == ["controller"]
    assert host["ansible_host"].startswith("10.17.")


def test_an_invalid_region_fails_the_inventory_with_its_problems(tmp_path):
    stack = tmp_path / "broken"
    shutil.copytree(REPO / "stacks" / "lab", stack)
    rack = stack / "racks" / "lab-r01.yaml"
    rack.write_text(rack.read_text().replace("position_u: 12", "position_u: 11"))
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "sovcloud.yml").write_text(f"plugin: sovcloud\nstack: {stack}\n")
    result = ansible_inventory("-i", str(tmp_path / "inv"), "--list")
    assert result.returncode != 0
    assert "rack-units-overlap" in result.stderr and "lab-r01.yaml" in result.stderr
