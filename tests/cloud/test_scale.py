"""The resource count follows racks, networks, classes and tenants, never the number of hosts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pulumi

from sovcloud_infra.cloud.mocks import RecordingMonitor
from sovcloud_infra.cloud.region import RegionCloud
from sovcloud_infra.generate import RegionShape, write_region
from sovcloud_infra.model import load_region


def rendered_counts(monitor: RecordingMonitor, shape: RegionShape, tmp_path: Path) -> Counter[str]:
    region = load_region(write_region(shape, tmp_path / f"{shape.hosts}-{shape.hosts_per_rack}"))
    monitor.clear()

    @pulumi.runtime.test
    def build() -> pulumi.Output[list[str]]:
        return RegionCloud(region).settled()

    build()
    return Counter(r.type for r in monitor.registrations)


def test_more_hosts_in_the_same_racks_add_no_resource(monitor, tmp_path: Path):
    few = rendered_counts(monitor, RegionShape(name="scale", hosts=64, hosts_per_rack=16), tmp_path)
    many = rendered_counts(monitor, RegionShape(name="scale", hosts=128, hosts_per_rack=32), tmp_path)
    assert few == many


def test_each_new_rack_adds_one_aggregate(monitor, tmp_path: Path):
    four = rendered_counts(monitor, RegionShape(name="scale", hosts=64, hosts_per_rack=16), tmp_path)
    eight = rendered_counts(monitor, RegionShape(name="scale", hosts=128, hosts_per_rack=16), tmp_path)
    assert eight - four == Counter({"openstack:compute/aggregateV2:AggregateV2": 4})
