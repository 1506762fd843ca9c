"""`sovcloud validate` and `sovcloud show`: the region model on the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from sovcloud_infra.cli.common import AsJson, StacksDir, err, load_or_exit, out, print_json
from sovcloud_infra.policy.backend import check_pulumi_settings
from sovcloud_infra.stacks import stack_path
from sovcloud_infra.summary import region_summary


def validate(
    stack: str = typer.Argument("lab", help="Stack name under stacks/, or a path to a stack directory."),
    stacks_dir: Path | None = StacksDir,
    as_json: bool = AsJson,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge waiver expiry on this date (YYYY-MM-DD) instead of today."
    ),
) -> None:
    """Check a region description; exit 0 if valid, 1 with every problem listed if not."""
    today = None
    if as_of is not None:
        try:
            today = dt.date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None
    region = load_or_exit(stack, stacks_dir, as_json, today)
    # Where Pulumi would keep this region's state and secrets must be sovereign too.
    state_problems = check_pulumi_settings(stack_path(stack, stacks_dir))
    if state_problems:
        if as_json:
            print_json({"stack": stack, "valid": False, "problems": [p.as_dict() for p in state_problems]})
        else:
            for problem in state_problems:
                err.print(problem.render(), markup=False, highlight=False)
            err.print(f"[red]stack '{stack}' is invalid: {len(state_problems)} problem(s)[/red]")
        raise typer.Exit(1)
    if as_json:
        print_json(
            {"stack": stack, "valid": True, "hosts": len(region.hosts), "racks": len(region.racks), "problems": []}
        )
    else:
        out.print(
            f"[green]stack '{stack}' is valid[/green]: {len(region.datacenters)} datacenter(s), "
            f"{len(region.racks)} rack(s), {len(region.hosts)} host(s), {len(region.networks)} network(s)"
        )


def show(
    stack: str = typer.Argument(..., help="Stack name under stacks/, or a path to a stack directory."),
    stacks_dir: Path | None = StacksDir,
    as_json: bool = AsJson,
) -> None:
    """Summarise a region: datacenters, racks, hosts per role, networks and capacity."""
    region = load_or_exit(stack, stacks_dir, as_json)
    data = region_summary(region)
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{data['region']}[/bold] ({data['operator']}), stack '{stack}': "
        f"{data['racks']} racks, {data['hosts']} hosts; jurisdictions {', '.join(data['allowed_jurisdictions'])}"
    )
    sites = Table(title="Datacenters (availability zones) and capacity")
    for col in ("zone", "location", "racks", "hosts", "vCPU", "RAM GiB", "TB usable", "power W"):
        sites.add_column(col, overflow="fold")
    for dc in data["datacenters"]:
        cap = dc["capacity"]
        sites.add_row(
            dc["availability_zone"],
            f"{dc['city']} {dc['country']}",
            str(len(dc["racks"])),
            str(dc["hosts"]),
            str(cap["vcpus"]),
            str(cap["ram_gib"]),
            str(cap["storage_usable_tb"]),
            f"{dc['power_w']['planned']}/{dc['power_w']['budget']}",
        )
    out.print(sites)
    roles = Table(title="Hosts per role")
    roles.add_column("role")
    for dc in data["datacenters"]:
        roles.add_column(dc["availability_zone"], justify="right")
    roles.add_column("total", justify="right")
    for role, total in data["roles"].items():
        roles.add_row(role, *(str(dc["roles"].get(role, 0)) for dc in data["datacenters"]), str(total))
    out.print(roles)
    nets = Table(title="Networks")
    for col in ("name", "purpose", "VLAN", "physnet", "CIDR", "MTU", "scope"):
        nets.add_column(col, overflow="fold")
    for n in data["networks"]:
        nets.add_row(
            n["name"], n["purpose"], str(n["vlan"] or "-"), n["physical_network"], n["cidr"], str(n["mtu"]), n["scope"]
        )
    out.print(nets)
    tiers = [t["name"] + ("" if t["encrypted"] else " (unencrypted)") for t in data["storage_tiers"]]
    classes = [f"{c['name']} ({c['flavors']} flavors, {c['cpu_policy']} CPUs)" for c in data["hypervisor_classes"]]
    out.print(f"storage tiers: {', '.join(tiers) or '-'}")
    out.print(f"hypervisor classes: {', '.join(classes) or '-'}")
    out.print(f"tenants: {', '.join(data['tenants']) or '-'}")
    out.print(f"SRE accounts: {', '.join(data['sre_accounts']) or '-'}")
