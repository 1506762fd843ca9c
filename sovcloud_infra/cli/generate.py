"""`sovcloud generate`: write a synthetic region of any size (benchmarks, scale tests)."""

from __future__ import annotations

from pathlib import Path

import typer

from sovcloud_infra.cli.common import out
from sovcloud_infra.generate import RegionShape, write_region


def generate(
    out_dir: Path = typer.Argument(..., help="Directory to write the stack into (created)."),
    name: str = typer.Option("synthetic", help="Region name."),
    hosts: int = typer.Option(120, min=1, help="Number of hosts."),
    datacenters: int = typer.Option(2, min=1, max=9, help="Number of datacenters (availability zones)."),
    hosts_per_rack: int = typer.Option(16, min=1, max=40, help="Hosts per rack."),
) -> None:
    """Write a valid synthetic region (same parameters, same files)."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise typer.BadParameter(f"{out_dir} exists and is not empty", param_hint="OUT_DIR")
    shape = RegionShape(name=name, hosts=hosts, datacenters=datacenters, hosts_per_rack=hosts_per_rack)
    write_region(shape, out_dir)
    out.print(f"wrote region '{name}': {hosts} hosts in {shape.racks} racks, {datacenters} datacenter(s) -> {out_dir}")
