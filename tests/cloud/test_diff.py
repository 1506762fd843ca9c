"""The differ: creations, deletions, in-place updates, replacements and their cascade."""

from __future__ import annotations

from typing import Any

from sovcloud_infra.cloud.diff import PROTECT, diff, property_changes
from sovcloud_infra.cloud.rendering import RenderedResource

NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
ROUTER = "openstack:networking/router:Router"
AGGREGATE = "openstack:compute/aggregateV2:AggregateV2"
FLAVOR = "openstack:compute/flavor:Flavor"


def rr(type_: str, name: str, /, protect: bool = False, **inputs: Any) -> RenderedResource:
    short = type_.rsplit(":", 1)[-1]
    return RenderedResource(f"urn:{short}::{name}", type_, name, "urn:parent", True, protect, f"{short}/{name}", inputs)


def by_name(changes) -> dict[str, Any]:
    return {c.resource.name: c for c in changes.changes}


def test_identical_renderings_have_no_changes():
    same = [rr(AGGREGATE, "az", hosts=["a"]), rr(FLAVOR, "f", vcpus=2)]
    assert diff(same, list(same)).empty


def test_host_list_changes_are_items_added_and_removed():
    old = [rr(AGGREGATE, "az", hosts=["a", "b"], metadata={"country": "FR"})]
    new = [rr(AGGREGATE, "az", hosts=["a", "c"], metadata={"country": "FR"})]
    change = by_name(diff(old, new))["az"]
    assert change.op == "update"
    assert [(p.path, p.added, p.removed, p.replaces) for p in change.properties] == [("hosts", ("c",), ("b",), False)]


def test_nested_keys_are_reported_by_path():
    changes = property_changes(
        {"metadata": {"country": "FR", "city": "Paris"}}, {"metadata": {"country": "DE", "city": "Paris"}}
    )
    assert [(c.path, c.old, c.new) for c in changes] == [("metadata.country", "FR", "DE")]


def test_flavor_shape_change_replaces_and_extra_specs_change_updates():
    old = [rr(FLAVOR, "f", vcpus=2, extraSpecs={"hw_rng:allowed": "True"}), rr(FLAVOR, "g", vcpus=2, extraSpecs={})]
    new = [
        rr(FLAVOR, "f", vcpus=4, extraSpecs={"hw_rng:allowed": "True"}),
        rr(FLAVOR, "g", vcpus=2, extraSpecs={"a": "b"}),
    ]
    changes = by_name(diff(old, new))
    assert changes["f"].op == "replace" and changes["f"].properties[0].replaces
    assert changes["g"].op == "update" and changes["g"].properties[0].path == "extraSpecs.a"


def test_a_replaced_network_replaces_its_subnet_and_updates_what_refers_to_it_otherwise():
    def world(vlan: int) -> list[RenderedResource]:
        return [
            rr(NETWORK, "ext", segments=[{"networkType": "vlan", "segmentationId": vlan}]),
            rr(SUBNET, "ext-v4", networkId="Network/ext", cidr="10.0.0.0/24"),
            rr(RBAC, "ext-share", objectId="Network/ext", action="access_as_shared"),
            rr(ROUTER, "edge", externalNetworkId="Network/ext"),
            rr(AGGREGATE, "az", hosts=["a"]),
        ]

    changes = by_name(diff(world(10), world(11)))
    assert changes["ext"].op == "replace"
    assert changes["ext-v4"].op == "replace" and "networkId refers to ext" in changes["ext-v4"].reasons[0]
    assert changes["ext-share"].op == "replace"
    assert changes["edge"].op == "update" and "gets a new ID" in changes["edge"].reasons[0]
    assert "az" not in changes


def test_creations_deletions_and_protect_changes():
    old = [rr(AGGREGATE, "gone"), rr(NETWORK, "kept", protect=False, name="kept")]
    new = [rr(AGGREGATE, "new"), rr(NETWORK, "kept", protect=True, name="kept")]
    result = diff(old, new)
    changes = by_name(result)
    assert changes["new"].op == "create" and changes["gone"].op == "delete"
    assert changes["kept"].op == "update" and changes["kept"].properties[0].path == PROTECT
    assert result.summary() == {"create": 1, "update": 1, "replace": 0, "delete": 1}
    assert [c.op for c in result.changes] == ["create", "update", "delete"]
