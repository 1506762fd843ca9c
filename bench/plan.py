"""Offline plan time and resource count of generated regions, side by side in one run.

    .venv/bin/python bench/plan.py [--sizes 1000 10000]

For each size, a synthetic region (sovcloud_infra.generate) is rendered the
way ``sovcloud plan`` does it: the real Pulumi program under the SDK mock
runtime, in a subprocess (model loading included). Prints the wall time, the
number of resources and what they follow (racks, networks, classes), so a
resource count growing with hosts would show at once. Target: 10,000 hosts
in under 60 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sovcloud_infra.cloud.rendering import render_stack
from sovcloud_infra.generate import RegionShape, write_region
from sovcloud_infra.stacks import PROJECT_ROOT

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sovcloud-bench-plan-") as tmp:
        for size in args.sizes:
            shape = RegionShape(name=f"bench{size}", hosts=size)
            write_region(shape, Path(tmp) / shape.name)
            rendering = render_stack(PROJECT_ROOT, shape.name, stacks_dir=Path(tmp))
            counts = rendering.counts()
            networks = counts.get("openstack:networking/network:Network", 0)
            classes = counts.get("sovcloud:cloud:FlavorCatalogue", 0)
            rows.append(
                (
                    size,
                    shape.racks,
                    networks,
                    classes,
                    len(rendering.resources),
                    len(rendering.custom),
                    rendering.seconds,
                )
            )
    print("offline rendering (SDK mock runtime), not a cloud preview")
    columns = (("hosts", 7), ("racks", 6), ("networks", 8), ("classes", 7), ("resources", 9), ("openstack", 9))
    columns += (("plan s", 7), ("ms/host", 8))
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for size, racks, networks, classes, total, custom, seconds in rows:
        print(
            f"{size:>7} {racks:>6} {networks:>8} {classes:>7} {total:>9} {custom:>9} {seconds:>7.1f} "
            f"{seconds / size * 1000:>8.2f}"
        )
    largest = rows[-1]
    verdict = "met" if largest[-1] < TARGET_SECONDS else "MISSED"
    print(f"target {largest[0]} hosts under {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
