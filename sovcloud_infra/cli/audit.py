"""`sovcloud audit STACK`: the effective hardening state of every host, per control, with evidence.

Exit codes: 0 compliant, 2 when a control fails, 1 when the audit could not be
completed (invalid stack or catalogue, inventory failure, an unreachable host).
An error outranks failures: an incomplete audit must not read as a verdict.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sovcloud_infra.audit.results import ReportFormat
from sovcloud_infra.cli.common import StacksDir, err, load_or_exit, out
from sovcloud_infra.stacks import PROJECT_ROOT, stack_path

if TYPE_CHECKING:
    from sovcloud_infra.hardening.catalogue import Catalogue


def _inventory_for(stack: str, stacks_dir: Path | None, region_name: str, workdir: Path) -> Path:
    """The stack's own inventory (inventories/<name>) for a stack name, else one written for the path.

    A stack given as a path (a copy of the lab, say) gets an inventory that points
    the sovcloud plugin at it, connecting through the lab when one was booted
    under that name (it has an operator key).
    """
    from sovcloud_infra.lab import LabPaths

    path = stack_path(stack, stacks_dir)
    own = PROJECT_ROOT / "inventories" / region_name
    if path.resolve() == (PROJECT_ROOT / "stacks" / region_name).resolve() and own.is_dir():
        return own
    lab = LabPaths.for_lab(region_name).operator_key.exists()
    inventory = workdir / "inventory"
    inventory.mkdir()
    (inventory / "sovcloud.yml").write_text(
        f"plugin: sovcloud\nstack: {path.resolve()}\nlab: {'true' if lab else 'false'}\n", encoding="utf-8"
    )
    return inventory


def catalogue_or_exit(path: Path | None) -> Catalogue:
    """The control catalogue (the project's by default); a missing or invalid one is exit 1 with a message."""
    from pydantic import ValidationError

    from sovcloud_infra.hardening.catalogue import CATALOGUE_PATH, load_catalogue

    path = path or CATALOGUE_PATH
    try:
        return load_catalogue(path)
    except FileNotFoundError:
        err.print(f"[red]error:[/red] no control catalogue at {path}")
        raise typer.Exit(1) from None
    except (ValidationError, ValueError, OSError) as exc:
        err.print(f"[red]error:[/red] the control catalogue {path} is invalid: {exc}", markup=False)
        raise typer.Exit(1) from None


def audit(
    stack: str = typer.Argument(..., help="Stack name (under the stacks directory) or path to a stack directory."),
    limit: str | None = typer.Option(None, "--limit", "-l", help="Ansible host pattern: audit only these hosts."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE (default: stdout)."),
    inventory: Path | None = typer.Option(
        None, "--inventory", "-i", help="Ansible inventory to use (default: inventories/<stack>, or one for the path)."
    ),
    catalogue_file: Path | None = typer.Option(
        None, "--catalogue", help="Control catalogue (default: the project's hardening catalogue)."
    ),
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
        inv = inventory or _inventory_for(stack, stacks_dir, region.name, Path(tmp))
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
