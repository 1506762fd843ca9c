"""Validation time of generated regions, side by side in one run.

    .venv/bin/python bench/validate.py [--sizes 1000 10000] [--repeat 3]

Prints, for each size, the best of N in-process validations, the time per
host, and the ratio to the smallest size (a linear validator keeps the
per-host time flat). Target: 10,000 hosts in under 5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sovcloud_infra.generate import RegionShape, write_region
from sovcloud_infra.model import load_region


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sovcloud-bench-") as tmp:
        rows = []
        for size in args.sizes:
            root = write_region(RegionShape(name=f"bench{size}", hosts=size), Path(tmp) / f"bench{size}")
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                load_region(root)
                times.append(time.perf_counter() - start)
            rows.append((size, min(times)))
    base_size, base_time = rows[0]
    print(f"{'hosts':>8} {'best s':>8} {'ms/host':>8} {'time ratio':>10} {'size ratio':>10}")
    for size, best in rows:
        print(f"{size:>8} {best:>8.2f} {best / size * 1000:>8.3f} {best / base_time:>10.1f} {size / base_size:>10.1f}")


if __name__ == "__main__":
    main()
