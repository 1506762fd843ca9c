"""Drift-check time of the lab, side by side with a converge that has nothing to do, in one run.

    .venv/bin/python bench/drift.py [--octet 47] [--repeat 3]   (as root, by hand)

On a copy of the `lab` stack on 10.<octet>.x (3 hosts; pick an octet no running
lab or test session uses): boot, converge once (not timed), then `--repeat`
times, alternating: a converge with nothing to do, and `sovcloud drift --hosts`
(the real CLI: the site playbook in check and diff mode plus the audit). The
ratio drift/converge is what matters (the machine is noisy): the drift check
does the converge's reading plus the audit, never a write. The lab is always
removed, also when a step fails.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sovcloud_infra.hosts.runner import run_playbook
from sovcloud_infra.lab import down, leftovers, up
from sovcloud_infra.lab.from_model import spec_from_region
from sovcloud_infra.lab.variants import clone_lab_stack
from sovcloud_infra.model import load_region

REPO = Path(__file__).resolve().parents[1]


def _converge(name: str, inventory: Path) -> float:
    started = time.monotonic()
    result = run_playbook(name, inventory=inventory)
    if not result.succeeded:
        raise SystemExit(f"converge failed: {[o.failures for o in result.hosts.values()]}\n{result.output_tail}")
    return time.monotonic() - started


def _drift(stack: Path, inventory: Path) -> float:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", "drift", str(stack), "--hosts", "--inventory", str(inventory),
         "--format", "json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"drift check exited {run.returncode} on a converged lab:\n{run.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--octet", type=int, default=47)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sovcloud-bench-drift-") as tmp:
        stack, inventory = clone_lab_stack(Path(tmp), args.octet)
        region = load_region(stack)
        converges: list[float] = []
        drifts: list[float] = []
        try:
            up(spec_from_region(region), timeout=180)
            first = _converge(region.name, inventory)
            print(f"first converge (not compared): {first:.1f}s", file=sys.stderr)
            for _ in range(args.repeat):
                converges.append(_converge(region.name, inventory))
                drifts.append(_drift(stack, inventory))
        finally:
            down(region.name)
            assert not leftovers(region.name), leftovers(region.name)
    converge, drift = statistics.median(converges), statistics.median(drifts)
    print(f"{len(region.hosts)} hosts, median of {args.repeat}")
    print(f"converge with nothing to do: {converge:6.1f}s  {[round(s, 1) for s in converges]}")
    print(f"drift check (--hosts):       {drift:6.1f}s  {[round(s, 1) for s in drifts]}")
    print(f"drift / converge: {drift / converge:.2f}")


if __name__ == "__main__":
    main()
