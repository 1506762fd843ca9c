"""`sovcloud lab up|down|status`: the lab region as real Debian 12 hosts on this machine."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sovcloud_infra.cli.common import AsJson, StacksDir, err, load_or_exit, out, print_json
from sovcloud_infra.lab.status import LabStatus
from sovcloud_infra.model import Region

lab_app = typer.Typer(
    help="Boot a region as real Debian 12 hosts (systemd-nspawn) on this machine.", no_args_is_help=True
)


def _require_root() -> None:
    if os.geteuid() != 0:
        err.print("[red]error:[/red] the lab creates network namespaces, bridges and containers: run it as root")
        raise typer.Exit(1)


@lab_app.command("up")
def up_cmd(
    stack: str = typer.Argument("lab", help="Stack to boot (default: lab)."),
    stacks_dir: Path | None = StacksDir,
    converge: bool = typer.Option(False, "--converge/--no-converge", help="Run playbooks/site.yml once up."),
    timeout: float = typer.Option(120.0, help="Seconds to wait for every host to answer SSH."),
) -> None:
    """Boot every host of the stack, wait for SSH, optionally converge with the site playbook."""
    from sovcloud_infra import lab
    from sovcloud_infra.lab.from_model import LabModelError, spec_from_region

    _require_root()
    region = load_or_exit(stack, stacks_dir, as_json=False)
    try:
        spec = spec_from_region(region)
    except LabModelError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    started = time.monotonic()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("starting", total=None)

        def report(event: lab.ProgressEvent) -> None:
            progress.update(
                task, description=f"[{event.stage}] {event.message}", completed=event.current, total=event.total
            )
            if event.stage in ("base-image", "up"):
                progress.console.print(f"  {event.message}")

        try:
            status = lab.up(spec, progress=report, timeout=timeout)
        except lab.HostBootError as exc:
            err.print(f"[red]error:[/red] {exc}")
            err.print(f"  console log: {exc.console_log}\n  clean up with: sovcloud lab down {stack}")
            raise typer.Exit(1) from None
        except lab.LabError as exc:
            err.print(f"[red]error:[/red] {exc}\n  clean up with: sovcloud lab down {stack}")
            raise typer.Exit(1) from None
    boot_seconds = time.monotonic() - started
    out.print(f"[green]lab '{stack}' is up[/green]: {len(status.hosts)} host(s) answer SSH ({boot_seconds:.1f}s)")
    changed: dict[str, int] = {}
    converge_seconds = 0.0
    if converge:
        from sovcloud_infra.hosts.runner import run_playbook

        with err.status(f"converging {len(status.hosts)} host(s) with playbooks/site.yml"):
            result = run_playbook(stack)
        converge_seconds = result.seconds
        changed = {h: o.changed for h, o in result.hosts.items()}
        if not result.succeeded:
            for host, outcome in result.hosts.items():
                for failure in outcome.failures:
                    err.print(f"[red]{host}[/red]: {failure}")
            err.print(f"[red]converge failed[/red] (rc={result.rc}); the lab stays up for inspection")
            raise typer.Exit(1)
    _summary(region, status, changed if converge else None, boot_seconds, converge_seconds)


def _summary(
    region: Region, status: LabStatus, changed: dict[str, int] | None, boot_seconds: float, converge_seconds: float
) -> None:
    table = Table(title=f"Lab '{status.name}'")
    for col in ("host", "roles", "management", "changed" if changed is not None else "running"):
        table.add_column(col)
    for host in status.hosts:
        roles = ", ".join(r.value for r in region.host(host.hostname).roles)
        last = str(changed.get(host.hostname, 0)) if changed is not None else str(host.running)
        table.add_row(host.hostname, roles, host.mgmt_ip, last)
    out.print(table)
    timing = f"boot {boot_seconds:.1f}s"
    if changed is not None:
        timing += f", converge {converge_seconds:.1f}s"
    out.print(f"time: {timing}")
    first = status.hosts[0].hostname if status.hosts else "HOST"
    out.print(
        "\n".join(
            [
                "log in:    " + f"ssh -F {status.ssh_config} {first}",
                "inspect:   " + f"sovcloud lab status {status.name}; "
                f"ansible-inventory -i inventories/{status.name} --graph",
                "converge:  " + f"ansible-playbook -i inventories/{status.name} playbooks/site.yml",
                "tear down: " + f"sovcloud lab down {status.name}   (or: make lab-down)",
            ]
        )
    )


@lab_app.command("down")
def down_cmd(stack: str = typer.Argument("lab", help="Lab to remove (default: lab).")) -> None:
    """Remove everything the lab made: processes, mounts, namespaces, veths, bridges (also after a crash)."""
    from sovcloud_infra import lab

    _require_root()
    try:
        lab.down(stack)
    except lab.LabError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    left = lab.leftovers(stack)
    if left:
        err.print(f"[red]error:[/red] leftovers remain: {left}")
        raise typer.Exit(1)
    out.print(f"lab '{stack}' is down; nothing left behind")


@lab_app.command("status")
def status_cmd(stack: str = typer.Argument("lab", help="Lab to show (default: lab)."), as_json: bool = AsJson) -> None:
    """Show the lab's hosts, whether they run and answer SSH; exit 0 when fully up, 3 when down or partial."""
    from sovcloud_infra import lab

    status = lab.status(stack)
    if as_json:
        print_json(
            {
                "name": status.name,
                "phase": status.phase,
                "running": status.running,
                "mirror": {"url": status.mirror_url, "running": status.mirror_running},
                "ssh_config": str(status.ssh_config) if status.ssh_config else None,
                "hosts": [
                    {"hostname": h.hostname, "management": h.mgmt_ip, "running": h.running, "ssh": h.ssh_ready}
                    for h in status.hosts
                ],
            }
        )
    else:
        out.print(f"lab '{status.name}': {status.phase}; mirror {'running' if status.mirror_running else 'stopped'}")
        for h in status.hosts:
            out.print(f"  {h.hostname:<24} {h.mgmt_ip:<15} running={h.running} ssh={h.ssh_ready}")
    if not status.running:
        raise typer.Exit(3)
