"""Synthetic regions are valid by construction at every size, and deterministic."""

from __future__ import annotations

import datetime as dt
import filecmp

import pytest

from sovcloud_infra.generate import RegionShape, write_region
from sovcloud_infra.model import load_region
from sovcloud_infra.model.schema import HostRole


@pytest.mark.parametrize("hosts,dcs", [(3, 1), (40, 2), (500, 3)])
def test_generated_regions_are_valid(tmp_path, hosts, dcs):
    root = write_region(RegionShape(name="gen", hosts=hosts, datacenters=dcs), tmp_path / "gen")
    region = load_region(root, today=dt.date(2026, 11, 29))
    assert len(region.hosts) == hosts
    assert len({h.datacenter.name for h in region.hosts}) == min(dcs, hosts)
    if hosts >= 40:
        assert all(region.hosts_with(role) for role in HostRole)


def test_generation_is_deterministic(tmp_path):
    a = write_region(RegionShape(name="gen", hosts=50), tmp_path / "a")
    b = write_region(RegionShape(name="gen", hosts=50), tmp_path / "b")
    cmp = filecmp.dircmp(a, b)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert not filecmp.dircmp(a / "racks", b / "racks").diff_files
