"""Where stacks live, and how a stack name on the command line becomes a directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root (the package sits directly below it)."""


def stacks_dir(explicit: Path | None = None) -> Path:
    """The stacks directory: --stacks-dir, else $SOVCLOUD_STACKS, else ./stacks, else the repository's."""
    if explicit is not None:
        return explicit
    env = os.environ.get("SOVCLOUD_STACKS")
    if env:
        return Path(env)
    local = Path.cwd() / "stacks"
    return local if local.is_dir() else PROJECT_ROOT / "stacks"


def stack_path(stack: str, explicit_dir: Path | None = None) -> Path:
    """A stack name (``lab``) or a path to a stack directory (``./my-region``)."""
    candidate = Path(stack)
    if os.sep in stack or stack.startswith("."):
        return candidate
    return stacks_dir(explicit_dir) / stack


def available_stacks(explicit_dir: Path | None = None) -> list[str]:
    root = stacks_dir(explicit_dir)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "racks").is_dir()) if root.is_dir() else []
