"""Audit time of the lab hosts, side by side with converges of the common role alone and of the site playbook.

    .venv/bin/python bench/audit.py [--octet 46] [--audits 3]   (as root, by hand)

In one run, on a copy of the `lab` stack on 10.<octet>.x (3 hosts; pick an
octet no running lab or test session uses):

1. a fresh lab: converge with the common role alone (playbooks/site.yml
   --tags common), first run then second run (nothing to change);
2. the lab torn down and booted fresh: converge with the whole site playbook
   (common + hardening), first and second run;
3. on that converged lab: the audit (`sovcloud audit`'s code path: the
   read-only playbook in check mode, one evidence-module run per host, then
   the evaluation), `--audits` times, with each host's time in the module.

Packages come from the lab's apt-cacher-ng (run twice if its cache is cold).
The lab is always removed, also when a step fails.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sovcloud_infra.audit import run_audit
from sovcloud_infra.audit.collect import checks_for_level
from sovcloud_infra.hardening.catalogue import load_catalogue
from sovcloud_infra.hosts.runner import PlaybookResult, run_playbook
from sovcloud_infra.lab import down, leftovers, up
from sovcloud_infra.lab.from_model import spec_from_region
from sovcloud_infra.lab.variants import clone_lab_stack
from sovcloud_infra.model import load_region


def _converge(name: str, inventory: Path, label: str, tags: str | None = None) -> float:
    started = time.monotonic()
    result: PlaybookResult = run_playbook(name, inventory=inventory, tags=tags)
    seconds = time.monotonic() - started
    if not result.succeeded:
        failures = {h: o.failures for h, o in result.hosts.items() if o.failures}
        raise SystemExit(f"{label} failed: {failures}\n{result.output_tail}")
    print(f"  {label}: {seconds:.1f}s, changed {result.changed}", file=sys.stderr)
    return seconds


def _fresh_lab(stack: Path) -> None:
    region = load_region(stack)
    down(region.name)
    shutil.rmtree(Path.home() / ".cache" / "sovcloud-infra" / "facts" / region.name, ignore_errors=True)
    up(spec_from_region(region), timeout=180)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--octet", type=int, default=46, help="subnet 10.<octet>.x of the lab copy (default 46)")
    parser.add_argument("--audits", type=int, default=3, help="audit runs to time (default 3)")
    args = parser.parse_args()
    catalogue = load_catalogue()
    times: dict[str, float] = {}
    audits: list[float] = []
    module: dict[str, list[float]] = {}
    levels: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="sovcloud-bench-audit-") as tmp:
        stack, inventory = clone_lab_stack(Path(tmp), args.octet, name=f"benchaudit{args.octet}")
        name = stack.name
        try:
            print("common role alone, fresh lab", file=sys.stderr)
            _fresh_lab(stack)
            times["common first"] = _converge(name, inventory, "first converge", tags="common")
            times["common second"] = _converge(name, inventory, "second converge", tags="common")
            print("site playbook (common + hardening), fresh lab", file=sys.stderr)
            _fresh_lab(stack)
            times["site first"] = _converge(name, inventory, "first converge")
            times["site second"] = _converge(name, inventory, "second converge")
            for run in range(args.audits):
                started = time.monotonic()
                report = run_audit(name, catalogue, inventory=inventory)
                audits.append(time.monotonic() - started)
                if report.has_errors:
                    raise SystemExit(f"audit failed: {report.errors} {[h.error for h in report.hosts if h.error]}")
                for host in report.hosts:
                    module.setdefault(host.host, []).append(host.collect_seconds or 0.0)
                    levels.add(host.level or "?")
                counts = report.counts()
                print(f"  audit {run + 1}: {audits[-1]:.1f}s, {counts}", file=sys.stderr)
        finally:
            down(name)
            left = leftovers(name)
            if left:
                print(f"warning: lab {name} left {left}", file=sys.stderr)
    checks = {level: len(checks_for_level(catalogue, level)) for level in sorted(levels)}
    print(f"\n{len(module)} hosts (copy of the lab on 10.{args.octet}.x); checks collected per host: {checks}")
    print(f"{'':<36}{'first run':>12}{'second run':>12}")
    print(f"{'converge, common role alone':<36}{times['common first']:>11.1f}s{times['common second']:>11.1f}s")
    print(f"{'converge, site (common + hardening)':<36}{times['site first']:>11.1f}s{times['site second']:>11.1f}s")
    print(
        f"{'audit (read-only, check mode)':<36}{statistics.median(audits):>11.1f}s"
        f"   median of {len(audits)}, min {min(audits):.1f}s, max {max(audits):.1f}s"
    )
    per_host = ", ".join(f"{h} {statistics.median(s):.1f}s" for h, s in sorted(module.items()))
    print(f"{'  of which in the evidence module':<36}{per_host}")


if __name__ == "__main__":
    main()
