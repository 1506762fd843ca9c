"""`sovcloud audit STACK`: the effective hardening state of every host, per control, with evidence.

Exit codes: 0 compliant, 2 when a control fails, 1 when the audit could not be
completed (invalid stack or catalogue, inventory failure, an unreachable host).
An error outranks failures: an incomplete audit must not read as a verdict.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from sovcloud_infra.audit.results import ReportFormat
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


def audit(
    stack: str = typer.Argument(..., help="Stack name (under the stacks directory) or path to a stack directory."),
    limit: str | None = typer.Option(None, "--limit", "-l", help="Ansible host pattern: audit only these hosts."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="Report format."),
    output: Path | None = ReportOutput,
    inventory: Path | None = InventoryDir,
    catalogue_file: Path | None = CatalogueFile,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Text format: list every result that is not a pass."),
    stacks_dir: Path | None = StacksDir,
) -> None:
    """Audit the hardening of the stack's hosts, read-only: exit 0 compliant, 2 if a control fails, 1 on error."""
    from sovcloud_infra.audit import run_audit
    from sovcloud_infra.audit.reports import print_text, render

    region = load_or_exit(stack, stacks_dir, as_json=fmt == ReportFormat.json)
    catalogue = catalogue_or_exit(catalogue_file)
    if inventory is not None and not inventory.exists():
        err.print(f"[red]error:[/red] no inventory at {inventory}")
        raise typer.Exit(1)
    with tempfile.TemporaryDirectory(prefix="sovcloud-audit-") as tmp:
        inv = inventory or inventory_for(stack, stacks_dir, region.name, Path(tmp))
        with err.status(f"auditing the hosts of '{region.name}' (read-only)"):
            report = run_audit(region.name, catalogue, inventory=inv.resolve(), limit=limit)
    if fmt == ReportFormat.text and output is None:
        print_text(report, out, verbose=verbose)
    else:
        text = render(report, fmt, verbose=verbose)
        if output is None:
            out.file.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            counts = report.counts()
            err.print(
                f"{fmt.value} report written to {output}: {len(report.hosts)} host(s), "
                + ", ".join(f"{n} {s}" for s, n in counts.items()),
                markup=False,
            )
    for host in report.hosts:
        if host.error:
            err.print(f"[red]error:[/red] {host.host}: {host.error}", markup=False)
    for error in report.errors:
        err.print(f"error: {error}", markup=False)
    raise typer.Exit(report.exit_code)
