"""`sovcloud drift STACK`: does the region still match its description? Hosts and cloud, read-only.

Hosts: the site playbook in check and diff mode plus the hardening audit, per
host and control ID, grouped by rack. Cloud: a refreshing Pulumi preview through
the Automation API, per resource and property. Both halves by default;
``--hosts`` or ``--cloud`` picks one. Without the Pulumi CLI or OpenStack
credentials the cloud half is skipped, or an error when ``--cloud`` asked for it.

Exit codes, the same in every format: 0 nothing drifted, 2 something drifted,
1 on error (an error outranks drift: an incomplete check must not read as a verdict).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import typer

from sovcloud_infra.cli.common import (
    CatalogueFile,
    InventoryDir,
    ReportOutput,
    StacksDir,
    catalogue_or_exit,
    err,
    inventory_for,
    load_or_exit,
    out,
)
from sovcloud_infra.drift.results import CloudDrift, DriftFormat, DriftReport, HostsDrift
from sovcloud_infra.model import Region
from sovcloud_infra.stacks import PROJECT_ROOT


def drift(
    stack: str = typer.Argument(..., help="Stack name (under the stacks directory) or path to a stack directory."),
    hosts: bool = typer.Option(False, "--hosts", help="Check the hosts (site playbook in check mode, audit)."),
    cloud: bool = typer.Option(
        False, "--cloud", help="Check the cloud (refreshing Pulumi preview); an error if it cannot run."
    ),
    limit: str | None = typer.Option(None, "--limit", "-l", help="Ansible host pattern: check only these hosts."),
    fmt: DriftFormat = typer.Option(DriftFormat.text, "--format", "-f", help="Report format."),
    output: Path | None = ReportOutput,
    inventory: Path | None = InventoryDir,
    catalogue_file: Path | None = CatalogueFile,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Text format: show every diff (secrets redacted)."),
    stacks_dir: Path | None = StacksDir,
) -> None:
    """Check the stack for drift, read-only: exit 0 no drift, 2 drift, 1 on error (both halves unless one is given)."""
    from sovcloud_infra.drift.cloud import cloud_preconditions, run_cloud_drift

    both = not hosts and not cloud
    region = load_or_exit(stack, stacks_dir, as_json=fmt == DriftFormat.json)
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    report = DriftReport(stack=region.name, generated=started.isoformat(timespec="seconds"), limit=limit)
    if hosts or both:
        report.hosts = _hosts_half(stack, stacks_dir, region, limit, inventory, catalogue_file)
    if cloud or both:
        why_not = cloud_preconditions(region.name, project_root=PROJECT_ROOT)
        if why_not is None:
            with err.status(f"pulumi preview --refresh of '{region.name}' (read-only)"):
                report.cloud = run_cloud_drift(region.name, project_root=PROJECT_ROOT)
        elif cloud:
            report.cloud = CloudDrift(stack=region.name, error=why_not)
        else:
            report.cloud = CloudDrift(stack=region.name, skipped=why_not)
    report.seconds = round(time.monotonic() - clock, 2)
    _emit(report, fmt, output, verbose)
    raise typer.Exit(report.exit_code)


def _hosts_half(
    stack: str,
    stacks_dir: Path | None,
    region: Region,
    limit: str | None,
    inventory: Path | None,
    catalogue_file: Path | None,
) -> HostsDrift:
    from sovcloud_infra.drift.hosts import racks_of, run_host_drift

    catalogue = catalogue_or_exit(catalogue_file)
    if inventory is not None and not inventory.exists():
        return HostsDrift(errors=[f"no inventory at {inventory}"])
    name = region.name
    with tempfile.TemporaryDirectory(prefix="sovcloud-drift-") as tmp:
        inv = inventory or inventory_for(stack, stacks_dir, name, Path(tmp))
        with err.status(f"site playbook in check mode and audit on the hosts of '{name}' (read-only)"):
            return run_host_drift(name, catalogue, inventory=inv.resolve(), racks=racks_of(region), limit=limit)


def _emit(report: DriftReport, fmt: DriftFormat, output: Path | None, verbose: bool) -> None:
    from sovcloud_infra.drift.reports import print_text, render

    if fmt == DriftFormat.text and output is None:
        print_text(report, out, verbose=verbose)
    else:
        text = render(report, fmt, verbose=verbose)
        if output is None:
            out.file.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"{fmt.value} report written to {output}: {report.verdict}", markup=False)
    if report.hosts is not None:
        for host in report.hosts.hosts:
            if host.error:
                err.print(f"[red]error:[/red] {host.host}: {host.error}", markup=False)
        for message in report.hosts.errors:
            err.print(f"error: hosts: {message}", markup=False)
    if report.cloud is not None:
        if report.cloud.error:
            err.print(f"error: cloud: {report.cloud.error}", markup=False)
        elif report.cloud.skipped:
            err.print(f"cloud half skipped: {report.cloud.skipped}", markup=False)
