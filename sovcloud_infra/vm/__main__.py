"""Drive the VM tier by hand: ``python -m sovcloud_infra.vm build|up|sweep`` (as root).

``up`` boots a VM, writes its inventory, optionally converges a playbook, prints
how to reach it and keeps it running until Ctrl-C: the way to look at what a
role did to a real kernel, or why a VM test failed. It always cleans up.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time

from sovcloud_infra.lab.progress import ProgressEvent

from .image import ensure_vm_image
from .inventory import write_inventory
from .machine import booted_vm
from .runs import sweep_dead_runs


def _progress(event: ProgressEvent) -> None:
    print(f"[{event.stage}] {event.message}", file=sys.stderr, flush=True)


def _up(args: argparse.Namespace) -> int:
    with booted_vm(args.name, progress=_progress) as vm:
        inventory = write_inventory(vm, host_group=args.group, level=args.level)
        if args.playbook:
            result = vm.converge(inventory, args.playbook)
            print(f"{args.playbook}: {result.status}, changed {result.changed}, {result.seconds:.0f}s")
            for outcome in result.hosts.values():
                for failure in outcome.failures:
                    print(f"  failed: {failure}")
        ssh = shlex.join(["ssh", *vm.ssh_options(), f"{vm.user}@127.0.0.1"])
        print(f"VM up: {ssh}\ninventory: {inventory}\nconsole: {vm.console_log}\nCtrl-C stops it.", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping the VM", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sovcloud_infra.vm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build the cached disk image if its recipe changed")
    up = sub.add_parser("up", help="boot a VM and keep it running until Ctrl-C")
    up.add_argument("--name", default="manual", help="run directory name (two VMs at once need two names)")
    up.add_argument("--playbook", help="converge this playbook first (e.g. tests/vm/hardening.yml)")
    up.add_argument("--level", default="enhanced", help="sovcloud_hardening_level of the VM")
    up.add_argument("--group", default="hypervisors", help="the model host group the VM stands for")
    sub.add_parser("sweep", help="stop and clear what VM runs of dead processes left behind")
    args = parser.parse_args(argv)
    if args.command == "build":
        image = ensure_vm_image(_progress)
        built = f"built in {image.build_seconds:.0f}s" if image.built_now else "cached"
        print(f"{image.disk} ({built})")
        return 0
    if args.command == "sweep":
        for directory in sweep_dead_runs():
            print(f"cleared {directory}")
        return 0
    return _up(args)


if __name__ == "__main__":
    raise SystemExit(main())
