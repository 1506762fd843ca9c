"""Copies of the lab stack (sovcloud_infra.lab.variants): own addresses and own MACs, or a refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sovcloud_infra.lab.variants import clone_lab_stack
from sovcloud_infra.model import load_region

_MAC = re.compile(r"52:54:00(?::[0-9a-fA-F]{2}){3}")


def _macs(stack: Path) -> set[str]:
    return {m.lower() for p in stack.rglob("*.yaml") for m in _MAC.findall(p.read_text())}


def test_a_copy_moves_every_address_and_mac_and_still_validates(tmp_path: Path) -> None:
    stack, inventory = clone_lab_stack(tmp_path, 44)
    source = _macs(Path(__file__).resolve().parents[2] / "stacks" / "lab")
    copied = _macs(stack)
    assert copied and len(copied) == len(source)
    assert all(m.startswith("52:54:00:2c:") for m in copied), copied  # 44 = 0x2c
    assert not copied & source
    assert not any("10.42." in p.read_text() for p in stack.rglob("*.yaml"))
    region = load_region(stack)  # the copy is a valid model, named after its directory (own lab, own fact cache)
    assert region.name == "lab44"
    assert f"stack: {stack}" in (inventory / "sovcloud.yml").read_text()


@pytest.mark.parametrize("octet", [42, 66, 0, 255])
def test_a_copy_that_would_share_addresses_or_macs_is_refused(tmp_path: Path, octet: int) -> None:
    with pytest.raises(ValueError, match="octet must be"):
        clone_lab_stack(tmp_path, octet)
