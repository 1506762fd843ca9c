"""`sovcloud plan`: the region's cloud as the Pulumi program declares it, rendered offline.

An offline rendering runs the real program under the SDK's mock runtime: no
cloud, no credentials, no Pulumi CLI. It shows what the program *declares*
(resource tree, counts, sovereignty policy results) and, with ``--against``,
what a merge request changes compared with another git revision. It is not a
cloud preview: drift and the provider's own diff only show in
``pulumi preview`` (docs/production.md).

Exit status: 0 clean, 2 when ``--against`` finds differences or a mandatory
policy fails, 1 on error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from sovcloud_infra.cli.common import AsJson, err, out, print_json
from sovcloud_infra.cloud.diff import PROTECT, Change, PlanDiff, diff
from sovcloud_infra.cloud.rendering import (
    RenderedResource,
    RenderError,
    Rendering,
    find_project_root,
    render_revision,
    render_stack,
)
from sovcloud_infra.model.schema import EU_EEA
from sovcloud_infra.policy import Context, RuleResult, evaluate, mandatory_failures
from sovcloud_infra.stacks import PROJECT_ROOT

LABEL = "offline rendering (SDK mock runtime), not a cloud preview"
NOTE = (
    "the real program ran against mocks: this is what it declares, not what the cloud holds; "
    "run 'pulumi preview --policy-pack policy' for drift and the provider's own diff"
)
SIBLINGS_SHOWN = 12
"""Children of one type shown under a node before the rest are summarised (keeps 10,000-host trees short)."""
LIST_ITEMS_SHOWN = 10


def plan(
    stack: str = typer.Argument(..., help="Stack name: a region under stacks/ with its stacks/Pulumi.<stack>.yaml."),
    against: str | None = typer.Option(
        None, "--against", help="Git revision to compare with (e.g. origin/main, HEAD~1); prints the changes."
    ),
    as_json: bool = AsJson,
    project_dir: Path | None = typer.Option(
        None,
        "--project-dir",
        help="Pulumi project root (default: the nearest Pulumi.yaml above the current directory).",
    ),
) -> None:
    """Render the stack's cloud offline: resource tree, counts, sovereignty policies, changes --against a revision."""
    root = (project_dir or find_project_root() or PROJECT_ROOT).resolve()
    try:
        if not (root / "Pulumi.yaml").is_file():
            raise RenderError(f"no Pulumi project (Pulumi.yaml) at {root}")
        if not (root / "stacks" / stack).is_dir():
            known = (
                sorted(p.name for p in (root / "stacks").iterdir() if p.is_dir()) if (root / "stacks").is_dir() else []
            )
            raise RenderError(f"no stack '{stack}' at {root / 'stacks'} (known stacks: {', '.join(known) or 'none'})")
        current = render_stack(root, stack)
        previous = render_revision(root, against, stack) if against else None
    except RenderError as exc:
        if as_json:
            print_json({"kind": "offline-rendering", "stack": stack, "ok": False, "error": str(exc)})
        else:
            err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False, emoji=False)
        raise typer.Exit(1) from None

    ctx = Context(
        allowed_jurisdictions=frozenset(current.outputs.get("allowed_jurisdictions") or EU_EEA),
        today=dt.date.today(),
    )
    results = evaluate([r.plain() for r in current.custom], ctx)
    changes = diff(previous.resources, current.resources) if previous is not None else None
    failed = mandatory_failures(results)
    code = 2 if failed or (changes is not None and not changes.empty) else 0

    if as_json:
        print_json(_document(current, previous, results, changes, code))
    else:
        _print_human(root, current, previous, results, changes)
    raise typer.Exit(code)


# --------------------------------------------------------------------------- #
# JSON
# --------------------------------------------------------------------------- #


def _document(
    current: Rendering,
    previous: Rendering | None,
    results: list[RuleResult],
    changes: PlanDiff | None,
    code: int,
) -> dict[str, Any]:
    return {
        "kind": "offline-rendering",
        "label": LABEL,
        "note": NOTE,
        "ok": True,
        "stack": current.stack,
        "seconds": round(current.seconds, 2),
        "resource_count": len(current.resources),
        "custom_resource_count": len(current.custom),
        "counts": current.counts(),
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "protect": r.protect,
                "inputs": dict(r.inputs),
            }
            for r in current.resources
        ],
        "policies": [r.as_dict() for r in results],
        "against": None
        if previous is None or changes is None
        else {"revision": previous.revision, **changes.as_dict()},
        "exit_code": code,
    }


# --------------------------------------------------------------------------- #
# Human output
# --------------------------------------------------------------------------- #


def _short(type_: str) -> str:
    """``openstack:compute/flavor:Flavor`` -> ``compute.Flavor``; components keep their last segment."""
    pkg, _, rest = type_.partition(":")
    if pkg == "openstack":
        module = rest.split("/", 1)[0]
        return f"{module}.{type_.rsplit(':', 1)[-1]}"
    return type_.rsplit(":", 1)[-1]


def tree_lines(resources: list[RenderedResource]) -> list[str]:
    """The resource tree as text lines; long runs of one type under a node are summarised."""
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[RenderedResource]] = defaultdict(list)
    roots = []
    for res in resources:
        if res.parent in by_urn:
            children[res.parent].append(res)
        else:
            roots.append(res)
    lines: list[str] = []

    def label(res: RenderedResource) -> str:
        flags = " [protected]" if res.protect else ""
        return f"{res.name} ({_short(res.type)}){flags}"

    def walk(res: RenderedResource, indent: str, last: bool, top: bool) -> None:
        lines.append(label(res) if top else f"{indent}{'└─ ' if last else '├─ '}{label(res)}")
        below = indent if top else indent + ("   " if last else "│  ")
        kids = sorted(children.get(res.urn, []), key=lambda r: (r.custom, r.type, r.name))
        shown: list[RenderedResource | str] = []
        per_type: dict[str, int] = defaultdict(int)
        for kid in kids:
            per_type[kid.type] += 1
            if per_type[kid.type] <= SIBLINGS_SHOWN:
                shown.append(kid)
        for type_, count in per_type.items():
            if count > SIBLINGS_SHOWN:
                shown.append(f"… {count - SIBLINGS_SHOWN} more {_short(type_)}")
        for i, item in enumerate(shown):
            is_last = i == len(shown) - 1
            if isinstance(item, str):
                lines.append(f"{below}{'└─ ' if is_last else '├─ '}{item}")
            else:
                walk(item, below, is_last, False)

    for res in sorted(roots, key=lambda r: r.name):
        walk(res, "", True, True)
    return lines


def _value(value: Any) -> str:
    if isinstance(value, list) and len(value) > LIST_ITEMS_SHOWN:
        head = ", ".join(_value(v) for v in value[:LIST_ITEMS_SHOWN])
        return f"[{head}, … {len(value) - LIST_ITEMS_SHOWN} more]"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


_SIGNS = {"create": "+", "delete": "-", "replace": "+-", "update": "~"}


def change_lines(change: Change) -> list[str]:
    res = change.resource
    lines = [f"{_SIGNS[change.op]:>2} {change.op:<7} {res.name} ({_short(res.type)})"]
    if change.op in ("create", "delete"):
        for prop in change.properties:
            lines.append(f"        {prop.path}: {_value(prop.new if change.op == 'create' else prop.old)}")
        return lines
    for prop in change.properties:
        forced = "  (forces replacement)" if prop.replaces else ""
        if prop.path == PROTECT:
            lines.append(f"        protect: {_value(prop.old)} → {_value(prop.new)}")
        elif prop.added or prop.removed:
            items = [f"+ {_value(v)}" for v in prop.added] + [f"- {_value(v)}" for v in prop.removed]
            lines.append(f"        {prop.path}: {', '.join(items)}{forced}")
        else:
            lines.append(f"        {prop.path}: {_value(prop.old)} → {_value(prop.new)}{forced}")
    lines += [f"        because {reason}" for reason in change.reasons]
    return lines


def _print_human(
    root: Path,
    current: Rendering,
    previous: Rendering | None,
    results: list[RuleResult],
    changes: PlanDiff | None,
) -> None:
    custom = len(current.custom)
    out.print(f"[bold]sovcloud plan {escape(current.stack)}[/bold]: {LABEL}", markup=True, emoji=False)
    out.print(f"note: {NOTE}", markup=False, emoji=False)
    out.print(
        f"program {root / '__main__.py'} ({current.revision}); {len(current.resources)} resources "
        f"({custom} OpenStack, {len(current.resources) - custom} components), rendered in {current.seconds:.1f} s",
        markup=False,
        emoji=False,
    )
    out.print("\n[bold]Resources[/bold]", markup=True)
    for line in tree_lines(current.resources):
        out.print(line, markup=False, emoji=False)
    out.print("\n[bold]Counts per type[/bold]", markup=True)
    for type_, count in current.counts().items():
        out.print(f"{count:>6}  {type_}", markup=False, emoji=False)
    out.print("\n[bold]Sovereignty policies[/bold]", markup=True)
    for result in results:
        level = "mandatory" if result.mandatory else "advisory"
        verdict = "[green]pass[/green]" if result.passed else f"[red]FAIL ({len(result.violations)})[/red]"
        out.print(f"  {result.id} {result.name:<40} {level:<9} {verdict}", markup=True)
        for violation in result.violations:
            out.print(f"      {violation.message}", markup=False, emoji=False)
    if previous is not None and changes is not None:
        out.print(f"\n[bold]Changes against {escape(previous.revision)}[/bold] ({LABEL})", markup=True, emoji=False)
        if changes.empty:
            out.print("  no differences", markup=False, emoji=False)
        for change in changes.changes:
            for line in change_lines(change):
                out.print(line, markup=False, emoji=False)
        summary = changes.summary()
        out.print(
            f"summary: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['replace']} to replace, {summary['delete']} to delete",
            markup=False,
            emoji=False,
        )
    failed = mandatory_failures(results)
    if failed:
        out.print(f"[red]{len(failed)} mandatory sovereignty polic(ies) failed[/red]", markup=True)
