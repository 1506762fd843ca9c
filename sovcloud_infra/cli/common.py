"""What every CLI command shares: finding the stack, loading it, printing problems."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from sovcloud_infra.model import Region, RegionInvalid, load_region
from sovcloud_infra.stacks import PROJECT_ROOT, available_stacks, stack_path

if TYPE_CHECKING:
    from sovcloud_infra.hardening.catalogue import Catalogue

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StacksDir = typer.Option(None, "--stacks-dir", help="Directory holding the stacks (default: ./stacks).")
AsJson = typer.Option(False, "--json", help="Machine-readable output on stdout.")
# Options of the commands that run playbooks on a stack's hosts (audit, drift).
ReportOutput = typer.Option(None, "--output", "-o", help="Write the report to FILE (default: stdout).")
InventoryDir = typer.Option(
    None, "--inventory", "-i", help="Ansible inventory to use (default: inventories/<stack>, or one for the path)."
)
CatalogueFile = typer.Option(
    None, "--catalogue", help="Control catalogue (default: the project's hardening catalogue)."
)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def load_or_exit(stack: str, stacks_dir: Path | None, as_json: bool, today: dt.date | None = None) -> Region:
    """Load a stack; on problems print them all (human or JSON) and exit 1."""
    path = stack_path(stack, stacks_dir)
    if not path.is_dir():
        known = ", ".join(available_stacks(stacks_dir)) or "none"
        message = f"no stack directory {path} for stack '{stack}' (known stacks: {known})"
        if as_json:
            missing = {
                "code": "stack-not-found",
                "message": message,
                "file": str(path),
                "line": 0,
                "hint": "check the stack name, or pass --stacks-dir",
                "related": [],
            }
            print_json({"stack": stack, "valid": False, "problems": [missing]})
        else:
            err.print(f"[red]error:[/red] {message}")
        raise typer.Exit(1)
    try:
        return load_region(path, today=today)
    except RegionInvalid as exc:
        if as_json:
            print_json({"stack": stack, "valid": False, "problems": [p.as_dict() for p in exc.problems]})
        else:
            for problem in exc.problems:
                err.print(problem.render(), markup=False)
            err.print(f"[red]stack '{stack}' is invalid: {len(exc.problems)} problem(s)[/red]")
        raise typer.Exit(1) from None


def inventory_for(stack: str, stacks_dir: Path | None, region_name: str, workdir: Path) -> Path:
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
