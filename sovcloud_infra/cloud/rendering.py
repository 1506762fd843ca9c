"""Offline renderings of a stack, taken in a subprocess, for the working tree or any git revision.

No Pulumi here: the parent only starts ``python -m sovcloud_infra.cloud.render``
with the project root as working directory and reads its JSON. For another
revision, that revision's tree is exported with ``git archive`` into a
temporary directory (removed on every path out, errors included), and its own
renderer and program run there with the current Python, so the comparison is
between what each revision's code declares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovcloud_infra.policy.resources import PlainResource

RENDERER = "sovcloud_infra.cloud.render"
WORKING_TREE = "working tree"


class RenderError(Exception):
    """A rendering that could not be produced; the message is for the user, as is."""


@dataclass(frozen=True)
class RenderedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    id: str
    inputs: Mapping[str, Any]
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenderedResource:
        return cls(
            urn=str(data["urn"]),
            type=str(data["type"]),
            name=str(data["name"]),
            parent=str(data.get("parent") or ""),
            custom=bool(data.get("custom")),
            protect=bool(data.get("protect")),
            id=str(data.get("id") or ""),
            inputs=dict(data.get("inputs") or {}),
            deps={k: list(v) for k, v in (data.get("deps") or {}).items()},
        )

    def plain(self) -> PlainResource:
        """The shape the sovereignty rules read."""
        return PlainResource(self.type, self.name, self.inputs, self.urn, self.id, self.deps)


@dataclass
class Rendering:
    stack: str
    revision: str
    resources: list[RenderedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def custom(self) -> list[RenderedResource]:
        return [r for r in self.resources if r.custom]

    def counts(self) -> dict[str, int]:
        """Resources per type token, most frequent first (components included)."""
        counter = Counter(r.type for r in self.resources)
        return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above `start` holding a Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return None


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)  # the renderer must import the sovcloud_infra of its working directory
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def render_stack(root: Path, stack: str, *, revision: str = WORKING_TREE, stacks_dir: Path | None = None) -> Rendering:
    """Render `stack` of the project at `root` in a fresh interpreter."""
    root = root.resolve()
    command = [sys.executable, "-m", RENDERER, "--root", str(root), "--stack", stack]
    if stacks_dir is not None:
        command += ["--stacks-dir", str(stacks_dir.resolve())]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, env=_child_env(), check=False)
    seconds = time.perf_counter() - start
    try:
        document = json.loads(proc.stdout)
    except json.JSONDecodeError:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {proc.returncode}, no output"
        raise RenderError(f"the offline renderer of {revision} failed: {last}") from None
    if not document.get("ok"):
        raise RenderError(f"{revision}: {document.get('error', 'unknown rendering error')}")
    source = Path(str(document.get("source", ""))).resolve()
    if source != root:
        raise RenderError(f"{revision} was rendered with the sovcloud_infra of {source}, not of {root}")
    return Rendering(
        stack=stack,
        revision=revision,
        resources=[RenderedResource.from_dict(r) for r in document.get("resources", [])],
        outputs=dict(document.get("outputs") or {}),
        seconds=seconds,
    )


def _git(args: Sequence[str], cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise RenderError(f"git {' '.join(args)}: {detail}")
    return proc.stdout.strip()


@contextmanager
def exported_revision(root: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """The project as it was at `ref`, in a temporary directory removed afterwards; yields (root, commit)."""
    root = root.resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], root)).resolve()
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except RenderError:
        raise RenderError(f"'{ref}' is not a commit of the repository at {top}") from None
    prefix = root.relative_to(top)
    with tempfile.TemporaryDirectory(prefix="sovcloud-plan-") as tmp:
        archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=top, stdout=subprocess.PIPE)
        try:
            with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                tar.extractall(tmp, filter="data")
        finally:
            if archive.stdout is not None:
                archive.stdout.close()
            if archive.wait() != 0:
                raise RenderError(f"git archive {commit} failed (exit status {archive.returncode})")
        yield Path(tmp) / prefix, commit


def render_revision(root: Path, ref: str, stack: str) -> Rendering:
    """Render `stack` as the code and stack files of git revision `ref` declare it.

    A stack that did not exist at `ref` renders as empty, so everything shows as created.
    """
    with exported_revision(root, ref) as (old_root, commit):
        label = f"{ref} ({commit[:12]})"
        if not (old_root / "__main__.py").is_file() or not (old_root / "sovcloud_infra/cloud/render.py").is_file():
            raise RenderError(f"{label} has no Pulumi program or offline renderer to compare with")
        if not (old_root / "stacks" / stack).is_dir():
            return Rendering(stack=stack, revision=label, resources=[])
        return render_stack(old_root, stack, revision=label)
