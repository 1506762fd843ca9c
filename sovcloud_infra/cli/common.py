"""What every CLI command shares: finding the stack, loading it, printing problems."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from sovcloud_infra.model import Region, RegionInvalid, load_region
from sovcloud_infra.stacks import available_stacks, stack_path

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StacksDir = typer.Option(None, "--stacks-dir", help="Directory holding the stacks (default: ./stacks).")
AsJson = typer.Option(False, "--json", help="Machine-readable output on stdout.")


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
