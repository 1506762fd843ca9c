"""Spec validation: inconsistent specs are refused before anything is created."""

from __future__ import annotations

import dataclasses

import pytest

from sovcloud_infra.lab import LabBridge, LabHostSpec, LabNic, LabSpec, LabSpecError, LabUser
from sovcloud_infra.lab.paths import LabPaths
from sovcloud_infra.lab.spec import validate

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample test"
BRIDGE = "sc-t-mgmt"


def host(
    name: str,
    address: str | None,
    mac: str = "02:00:00:00:00:01",
    bridge: str = BRIDGE,
    gateway: str | None = None,
) -> LabHostSpec:
    return LabHostSpec(name, (LabNic("eth0", bridge, mac, address),), gateway)


def make_spec(**changes: object) -> LabSpec:
    spec = LabSpec(
        name="t",
        bridges=(LabBridge(BRIDGE, "10.9.0.1/24"),),
        hosts=(
            host("h-01", "10.9.0.11/24", gateway="10.9.0.1"),
            host("h-02", "10.9.0.12/24", mac="02:00:00:00:00:02"),
        ),
        users=(LabUser("sre-a", (KEY,)),),
        mirror_bridge=BRIDGE,
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def test_valid_spec_passes() -> None:
    validate(make_spec())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bridges": (LabBridge("sc-this-is-too-long", "10.9.0.1/24"),)}, "bridge name"),
        ({"mirror_bridge": "nope"}, "mirror_bridge"),
        ({"users": ()}, "no users"),
        ({"hosts": (host("h-01", None),)}, "management"),
        ({"hosts": (host("h-01", "10.9.0.11/24", bridge="other"),)}, "unknown bridge"),
        ({"hosts": (host("h-01", "10.8.0.11/24"),)}, "outside bridge"),
        ({"hosts": (host("h-01", "10.9.0.1/24"),)}, "used twice"),
        ({"hosts": (host("h-01", "10.9.0.11/24", mac="01:00:00:00:00:01"),)}, "multicast"),
        ({"hosts": (host("h-01", "10.9.0.11/24", gateway="10.7.0.1"),)}, "default_gateway"),
        ({"hosts": (host("H_01", "10.9.0.11/24"),)}, "hostname"),
        (
            {"hosts": (host("h-01", "10.9.0.11/24"), host("h-02", "10.9.0.11/24"))},
            "used twice",
        ),
    ],
)
def test_inconsistent_spec_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(LabSpecError, match=message):
        validate(make_spec(**changes))


def test_kernel_names_fit_ifnamsiz() -> None:
    paths = LabPaths.for_lab("a-rather-long-lab-name-for-testing")
    assert len(paths.veth_name("a-very-long-hostname-that-goes-on", 15)) <= 15
