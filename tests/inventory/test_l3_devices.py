"""The inventory's `l3_device` (used by the controller role for its VIPs) and roles/networking's networkd files
name the same device for every network of every host: two implementations of one convention, held together."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sovcloud_infra.inventory.build import build_inventory
from sovcloud_infra.model import load_region
from sovcloud_infra.stacks import stack_path

REPO = Path(__file__).resolve().parents[2]


def _networkd() -> ModuleType:
    spec = importlib.util.spec_from_file_location("networkd", REPO / "roles/networking/filter_plugins/networkd.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["networkd"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stack", ["lab", "fr-par-1"])
def test_inventory_and_networkd_agree_on_the_device_of_each_network(stack: str):
    networkd = _networkd()
    inventory = build_inventory(load_region(stack_path(stack)))
    checked = 0
    for name, hostvars in inventory.hostvars.items():
        files = networkd.networkd_files(
            hostvars["sovcloud_interfaces"], hostvars["sovcloud_nics"], hostvars["sovcloud_bonds"],
            hostvars["sovcloud_bridges"],
        )  # fmt: skip
        holders = {f["network"]: f["device"] for f in files if f["kind"] == "l3"}
        for itf in hostvars["sovcloud_interfaces"]:
            assert holders[itf["network"]] == itf["l3_device"], (name, itf)
            checked += 1
    assert checked >= 8


def test_a_network_node_carries_its_external_network_on_br_ex():
    inventory = build_inventory(load_region(stack_path("lab")))
    ctl = inventory.hostvars["lab-ctl-01"]
    assert ctl["sovcloud_bridges"] == {"external": "br-ex"}
    networkd = _networkd()
    files = networkd.networkd_files(ctl["sovcloud_interfaces"], ctl["sovcloud_nics"], ctl["sovcloud_bonds"],
                                    ctl["sovcloud_bridges"])  # fmt: skip
    kinds = {(f["kind"], f.get("device")) for f in files}
    assert {("bridge", "br-ex"), ("port", "eth2"), ("l3", "br-ex")} <= kinds
    assert next(f for f in files if f["kind"] == "l3" and f["device"] == "br-ex")["needs"] == ["bridge"]
    assert inventory.hostvars["lab-hv-01"]["sovcloud_bridges"] == {}
