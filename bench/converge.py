"""Converge speed of the lab, with and without the project's Ansible speed settings, side by side.

    .venv/bin/python bench/converge.py [--hosts N] [--profiles fast default]   (as root)

For each profile a fresh lab of N hosts is booted (a copy of the `lab` stack
on its own subnets, 10.43.x, so it never meets a running `lab`), then timed:
the first converge, a second converge (nothing to do) and a check-mode run.
"fast" is ansible.cfg as committed (pipelining, SSH multiplexing, fact cache,
trimmed fact gathering, forks); "default" overrides those with Ansible's
defaults. Packages come from the lab's apt-cacher-ng, warm after the first
profile, so run it twice if the cache is cold. The lab is always removed.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from sovcloud_infra.hosts.runner import run_playbook
from sovcloud_infra.lab import down, leftovers, up
from sovcloud_infra.lab.from_model import spec_from_region
from sovcloud_infra.model import load_region
from sovcloud_infra.stacks import PROJECT_ROOT

PROFILES: dict[str, dict[str, str]] = {
    "fast": {},
    "default": {
        "ANSIBLE_PIPELINING": "False",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=no",
        "ANSIBLE_GATHERING": "implicit",
        "ANSIBLE_GATHER_SUBSET": "all",
        "ANSIBLE_CACHE_PLUGIN": "memory",
        "ANSIBLE_FORKS": "5",
    },
}


def make_stack(root: Path, hosts: int) -> Path:
    """A copy of stacks/lab on 10.43.x with `hosts` hosts (extra ones cloned from the hypervisor)."""
    stack = root / "benchlab"
    shutil.copytree(PROJECT_ROOT / "stacks" / "lab", stack)
    for path in stack.rglob("*.yaml"):
        path.write_text(path.read_text().replace("10.42.", "10.43.").replace("52:54:00:42:", "52:54:00:43:"))
    rack_file = stack / "racks" / "lab-r01.yaml"
    rack: dict[str, Any] = yaml.safe_load(rack_file.read_text())
    rack["rack"]["power_budget_w"] = 400 * hosts
    template = next(h for h in rack["hosts"] if h["hostname"] == "lab-hv-01")
    rack["hosts"] = rack["hosts"][:hosts]
    for n in range(len(rack["hosts"]), hosts):
        host = copy.deepcopy(template)
        host["hostname"] = f"lab-hv-{n:02d}"
        host["position_u"] = 16 + 2 * n
        for i, nic in enumerate(host["nics"]):
            nic["mac"] = f"52:54:00:43:{i + 1:02x}:{0x40 + n:02x}"
        host["networks"][0]["address"] = f"10.43.0.{20 + n}"
        rack["hosts"].append(host)
    rack_file.write_text(yaml.safe_dump(rack, sort_keys=False))
    inventory = root / "inventory"
    shutil.copytree(PROJECT_ROOT / "inventories" / "lab" / "group_vars", inventory / "group_vars")
    (inventory / "sovcloud.yml").write_text(f"plugin: sovcloud\nstack: {stack}\nlab: true\n")
    return stack


def bench_profile(stack: Path, inventory: Path, env: dict[str, str]) -> dict[str, float]:
    spec = spec_from_region(load_region(stack))
    times: dict[str, float] = {}
    try:
        up(spec, timeout=180)
        for label, check in (("first converge", False), ("second converge", False), ("check mode", True)):
            start = time.monotonic()
            result = run_playbook(stack.name, inventory=inventory, check=check, env=env)
            times[label] = time.monotonic() - start
            if not result.succeeded:
                failures = {h: o.failures for h, o in result.hosts.items()}
                raise SystemExit(f"{label} failed: {failures}\n{result.output_tail}")
    finally:
        down(spec.name)
        assert not leftovers(spec.name), leftovers(spec.name)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="sovcloud-bench-") as tmp:
        stack = make_stack(Path(tmp), args.hosts)
        for profile in args.profiles:
            shutil.rmtree(Path.home() / ".cache" / "sovcloud-infra" / "facts", ignore_errors=True)
            results[profile] = bench_profile(stack, Path(tmp) / "inventory", PROFILES[profile])
    columns = ["first converge", "second converge", "check mode"]
    print(f"{args.hosts} hosts")
    print(f"{'profile':<10}" + "".join(f"{c:>17}" for c in columns) + f"{'second/first':>14}")
    for profile, times in results.items():
        print(
            f"{profile:<10}"
            + "".join(f"{times[c]:>16.1f}s" for c in columns)
            + f"{times['second converge'] / times['first converge']:>13.0%}"
        )
    if len(results) == 2:
        fast, slow = results["fast"], results["default"]
        print("fast/default: " + ", ".join(f"{c} {fast[c] / slow[c]:.2f}" for c in columns))


if __name__ == "__main__":
    main()
