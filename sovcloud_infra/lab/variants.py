"""Copies of a lab stack on their own subnets, so several labs can run on one machine.

The `lab` stack uses 10.42.x. The test suite, the benchmarks and engineers
working side by side each boot a copy on 10.<octet>.x with its own MACs and
its own name (hence its own bridges, namespaces and state directory), plus an
inventory directory that points the inventory plugin at the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sovcloud_infra.stacks import PROJECT_ROOT

SOURCE_OCTET = 42
#: The octet whose hex spelling is the source MACs' "42" byte: a copy there would reuse the lab's MACs.
_MAC_TWIN_OCTET = int(str(SOURCE_OCTET), 16)


def clone_lab_stack(dest_root: Path, octet: int, name: str | None = None, source: str = "lab") -> tuple[Path, Path]:
    """Write `dest_root/<name>/` (the stack) and `dest_root/inventory-<name>/`; return both paths.

    Every "10.42." becomes "10.<octet>." and every "52:54:00:42:" MAC prefix becomes
    "52:54:00:<octet in hex>:", so two copies never share an address or a MAC. Octet 66
    (0x42) is refused: its MACs would be the source lab's own.
    """
    if not 1 <= octet <= 254 or octet in (SOURCE_OCTET, _MAC_TWIN_OCTET):
        raise ValueError(f"octet must be 1-254 and neither {SOURCE_OCTET} nor {_MAC_TWIN_OCTET}")
    name = name or f"{source}{octet}"
    stack = dest_root / name
    if stack.exists():
        shutil.rmtree(stack)
    shutil.copytree(PROJECT_ROOT / "stacks" / source, stack)
    for path in stack.rglob("*.yaml"):
        text = path.read_text()
        text = text.replace(f"10.{SOURCE_OCTET}.", f"10.{octet}.")
        text = text.replace(f"52:54:00:{SOURCE_OCTET}:", f"52:54:00:{octet:02x}:")
        path.write_text(text)
    inventory = dest_root / f"inventory-{name}"
    if inventory.exists():
        shutil.rmtree(inventory)
    shutil.copytree(PROJECT_ROOT / "inventories" / source / "group_vars", inventory / "group_vars")
    (inventory / "sovcloud.yml").write_text(f"plugin: sovcloud\nstack: {stack}\nlab: true\n")
    return stack, inventory
