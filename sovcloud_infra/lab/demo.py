"""Debugging entry point: ``python -m sovcloud_infra.lab.demo up|down|status``.

Boots a small sample lab (lab-ctl-01, lab-hv-01, lab-st-01 on one management
bridge) without the region model, to exercise the runtime by hand. The tests
use :func:`demo_spec` with their own name, bridge and subnet so that they never
collide with a demo lab a developer left running.
"""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console

from .errors import LabError
from .operator_key import ensure_operator_key
from .progress import ProgressEvent
from .runtime import down, status, up
from .spec import LabBridge, LabHostSpec, LabNic, LabSpec, LabUser
from .status import LabStatus

DEMO_ROLES = ("ctl", "hv", "st")


def demo_spec(
    name: str = "lab",
    host_count: int = 3,
    bridge: str = "sc-lab-mgmt",
    subnet: str = "10.42.0",
    user: str = "sre-alice",
) -> LabSpec:
    """A lab of ``host_count`` hosts on one /24 management bridge ``subnet``.0/24.

    Host names cycle through ctl/hv/st (lab-ctl-01, lab-hv-01, lab-st-01,
    lab-ctl-02, ...), addresses start at .11, the gateway/mirror is .1.
    """
    key = ensure_operator_key(name)
    tag = sum(subnet.encode()) % 256
    hosts = []
    for i in range(host_count):
        hostname = f"lab-{DEMO_ROLES[i % len(DEMO_ROLES)]}-{i // len(DEMO_ROLES) + 1:02d}"
        nic = LabNic(
            name="eth0",
            bridge=bridge,
            mac=f"02:5c:{tag:02x}:00:00:{11 + i:02x}",
            address_cidr=f"{subnet}.{11 + i}/24",
        )
        hosts.append(LabHostSpec(hostname=hostname, nics=(nic,), default_gateway=f"{subnet}.1"))
    return LabSpec(
        name=name,
        bridges=(LabBridge(name=bridge, gateway_cidr=f"{subnet}.1/24"),),
        hosts=tuple(hosts),
        users=(LabUser(name=user, pubkeys=(key.public_key,)),),
        mirror_bridge=bridge,
    )


def _print_status(st: LabStatus) -> None:
    print(f"lab {st.name}: {st.phase}{' (running)' if st.running else ''}  state: {st.state_dir}")
    if st.mirror_url:
        print(f"  mirror  {st.mirror_url}  {'running' if st.mirror_running else 'STOPPED'}")
    for h in st.hosts:
        flags = ("running" if h.running else "STOPPED") + (", ssh ok" if h.ssh_ready else ", NO SSH")
        print(f"  {h.hostname:<14} {h.mgmt_ip:<15} pid {h.pid}  {flags}  console: {h.console_log}")
    if st.ssh_config:
        print(f"  ssh -F {st.ssh_config} {st.hosts[0].hostname if st.hosts else 'HOST'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sovcloud_infra.lab.demo")
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--name", default="lab")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    console = Console(stderr=True)

    started = time.monotonic()

    def progress(event: ProgressEvent) -> None:
        count = f"[{event.current}/{event.total}] " if event.current is not None else ""
        line = f"{time.monotonic() - started:6.1f}s {event.stage:<10} {count}{event.message}"
        console.print(line, markup=False, highlight=False)

    try:
        if args.action == "up":
            spec = demo_spec(args.name, args.hosts)
            with console.status("lab up..."):
                st = up(spec, progress=progress, timeout=args.timeout)
            _print_status(st)
        elif args.action == "down":
            down(args.name, progress=progress)
        else:
            _print_status(status(args.name))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.action} took {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
