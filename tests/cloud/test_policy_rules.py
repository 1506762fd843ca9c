"""Every sovereignty rule with an input it must report and one it must pass.

Inputs are plain resource dicts in the engine's shape (camelCase, numbers as
floats), the same shape CrossGuard and the offline plan hand to the rules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sovcloud_infra.policy import RULES, Context, PlainResource, evaluate
from sovcloud_infra.policy.rules import RESOURCE_RULES, STACK_RULES

AGGREGATE = "openstack:compute/aggregateV2:AggregateV2"
FLAVOR = "openstack:compute/flavor:Flavor"
NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"

CTX = Context(allowed_jurisdictions=frozenset({"FR", "DE"}), today=dt.date(2026, 6, 1))


def res(
    type_: str, rname: str, /, *, urn: str = "", id_: str = "", deps: dict[str, list[str]] | None = None, **props: Any
) -> PlainResource:
    return PlainResource(type_, rname, props, urn or f"urn:{rname}", id_, deps or {})


def violations(rule_id: str, *resources: PlainResource) -> list[str]:
    result = next(r for r in evaluate(list(resources), CTX) if r.id == rule_id)
    return [v.message for v in result.violations]


def network(name: str, purpose: str, vlan: float = 10.0, physnet: str = "physnet1", **extra: Any) -> PlainResource:
    return res(
        NETWORK,
        name,
        id_=f"Network/{name}",
        name=name,
        tags=[f"purpose:{purpose}", "scope:region"],
        segments=[{"networkType": "vlan", "physicalNetwork": physnet, "segmentationId": vlan}],
        **{"shared": False, "external": False, **extra},
    )


def test_rule_ids_are_stable_unique_and_ordered():
    ids = [r.id for r in RULES]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert ids == ["SOV001", "SOV002", "SOV003", "SOV004", "SOV005", "SOV006", "SOV007", "SOV008", "SOV009"]
    assert all(r.mandatory for r in RULES)


# SOV001 ------------------------------------------------------------------- #


def test_sov001_zone_outside_allowed_jurisdictions_is_reported():
    agg = res(AGGREGATE, "az-x", name="x", zone="x", metadata={"country": "US"})
    assert violations("SOV001", agg) == ["availability zone 'x' is in US, outside the allowed jurisdictions (DE, FR)"]


def test_sov001_zone_without_country_is_reported():
    assert "has no country" in violations("SOV001", res(AGGREGATE, "az-x", zone="x", metadata={}))[0]


def test_sov001_zone_in_allowed_country_and_zoneless_aggregates_pass():
    ok = res(AGGREGATE, "az-x", zone="x", metadata={"country": "FR"})
    rack = res(AGGREGATE, "rack-r1", metadata={"rack": "r1"})
    assert violations("SOV001", ok, rack) == []


# SOV002 ------------------------------------------------------------------- #


def test_sov002_unencrypted_tier_without_waiver_is_reported():
    vt = res(VOLUME_TYPE, "hdd", name="hdd", extraSpecs={"sovcloud:encrypted": "false"})
    assert "not encrypted at rest" in violations("SOV002", vt)[0]


def test_sov002_expired_or_undated_waiver_is_reported():
    expired = res(
        VOLUME_TYPE,
        "a",
        extraSpecs={"sovcloud:encryption-waiver": "scratch", "sovcloud:encryption-waiver-expires": "2026-01-01"},
    )
    undated = res(VOLUME_TYPE, "b", extraSpecs={"sovcloud:encryption-waiver": "scratch"})
    messages = violations("SOV002", expired, undated)
    assert "expired on 2026-01-01" in messages[0] and "no valid expiry" in messages[1]


def test_sov002_encrypted_or_validly_waived_tiers_pass():
    encrypted = res(VOLUME_TYPE, "ssd", extraSpecs={"sovcloud:encrypted": "true"})
    waived = res(
        VOLUME_TYPE,
        "scratch",
        extraSpecs={"sovcloud:encryption-waiver": "wiped nightly", "sovcloud:encryption-waiver-expires": "2027-01-01"},
    )
    assert violations("SOV002", encrypted, waived) == []


# SOV003 ------------------------------------------------------------------- #


def sg_rule(name: str, **props: Any) -> PlainResource:
    return res(RULE, name, direction="ingress", ethertype="IPv4", **props)


@pytest.mark.parametrize(
    ("props", "what"),
    [
        ({"protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0, "remoteIpPrefix": "0.0.0.0/0"}, "SSH"),
        ({"protocol": "tcp", "portRangeMin": 5901.0, "portRangeMax": 5901.0, "remoteIpPrefix": "::/0"}, "VNC"),
        ({"protocol": "udp", "portRangeMin": 600.0, "portRangeMax": 700.0, "remoteIpPrefix": "0.0.0.0/0"}, "IPMI"),
        ({"protocol": "6", "portRangeMin": 16509.0, "portRangeMax": 16509.0, "remoteIpPrefix": "0.0.0.0/0"}, "libvirt"),
        ({"protocol": "tcp", "portRangeMin": 35357.0, "portRangeMax": 35357.0}, "Keystone admin"),  # no remote: any
        ({"remoteIpPrefix": "0.0.0.0/0"}, "SSH"),  # every protocol, every port
    ],
)
def test_sov003_admin_port_open_to_the_world_is_reported(props: dict[str, Any], what: str):
    messages = violations("SOV003", sg_rule("r", **props))
    assert messages and what in messages[0]


@pytest.mark.parametrize(
    "props",
    [
        {"protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0, "remoteIpPrefix": "10.16.0.0/22"},
        {"protocol": "tcp", "portRangeMin": 443.0, "portRangeMax": 443.0, "remoteIpPrefix": "0.0.0.0/0"},
        {"protocol": "udp", "portRangeMin": 22.0, "portRangeMax": 22.0, "remoteIpPrefix": "0.0.0.0/0"},
        {"protocol": "icmp", "remoteIpPrefix": "0.0.0.0/0"},
        {"protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0, "remoteGroupId": "SecGroup/bastion"},
    ],
)
def test_sov003_admin_ports_from_management_or_other_ports_pass(props: dict[str, Any]):
    assert violations("SOV003", sg_rule("r", **props)) == []


def test_sov003_egress_is_not_judged():
    egress = res(RULE, "out", direction="egress", protocol="tcp", portRangeMin=22.0, remoteIpPrefix="0.0.0.0/0")
    assert violations("SOV003", egress) == []


# SOV004 ------------------------------------------------------------------- #


@pytest.mark.parametrize("purpose", ["management", "bmc", "storage", "storage-replication", "tenant-overlay"])
def test_sov004_infrastructure_network_external_or_shared_is_reported(purpose: str):
    shared = network("n1", purpose, shared=True)
    external = network("n2", purpose, external=True)
    assert len(violations("SOV004", shared, external)) == 2


def test_sov004_network_without_purpose_tag_is_reported():
    untagged = res(NETWORK, "n", name="n", tags=[], shared=False)
    assert "no 'purpose:' tag" in violations("SOV004", untagged)[0]


def test_sov004_provider_and_external_networks_may_be_shared_or_external():
    provider = network("p", "provider", shared=True)
    ext = network("e", "external", external=True)
    mgmt = network("m", "management")
    assert violations("SOV004", provider, ext, mgmt) == []


# SOV005 ------------------------------------------------------------------- #


def rbac(name: str, target: PlainResource, action: str = "access_as_shared") -> PlainResource:
    return res(
        RBAC,
        name,
        deps={"objectId": [target.urn]},
        action=action,
        objectType="network",
        objectId=target.id,
        targetTenant="Project/t",
    )


def test_sov005_rbac_sharing_an_infrastructure_network_is_reported():
    mgmt = network("mgmt", "management")
    messages = violations("SOV005", mgmt, rbac("share-mgmt", mgmt))
    assert messages == [
        "RBAC policy 'share-mgmt' grants access_as_shared on management network 'mgmt'; "
        "infrastructure networks are never shared"
    ]


def test_sov005_rbac_found_by_id_when_dependencies_are_unknown():
    bmc = network("bmc", "bmc")
    by_id = res(RBAC, "x", action="access_as_external", objectType="network", objectId="Network/bmc")
    assert len(violations("SOV005", bmc, by_id)) == 1


def test_sov005_rbac_sharing_a_provider_network_passes():
    provider = network("prov", "provider")
    assert violations("SOV005", provider, rbac("share", provider)) == []


# SOV006 ------------------------------------------------------------------- #


def flavor(name: str, vcpus: float, ram: float, disk: float = 0.0, **specs: str) -> PlainResource:
    return res(FLAVOR, f"f-{name}", name=name, vcpus=vcpus, ram=ram, disk=disk, extraSpecs=dict(specs))


@pytest.mark.parametrize(
    ("name", "vcpus", "ram", "disk", "why"),
    [
        ("m1.small", 1.0, 2048.0, 20.0, "not an SCS-0100 name"),
        ("SCS-2-4-10", 2.0, 4096.0, 10.0, "not an SCS-0100 name"),  # CPU suffix missing
        ("SCS-2iT-4-10n", 2.0, 4096.0, 10.0, "not an SCS-0100 name"),  # forbidden order
        ("SCS-2C-4ou-10", 2.0, 4096.0, 10.0, "not an SCS-0100 name"),  # forbidden order
        ("SCS-4V-16-50", 2.0, 16384.0, 50.0, "claims 4 vCPUs"),
        ("SCS-4V-16-50", 4.0, 8192.0, 50.0, "claims 16 GiB RAM"),
        ("SCS-4V-16-50", 4.0, 16384.0, 20.0, "claims a 50 GB disk"),
    ],
)
def test_sov006_invalid_or_overstating_flavor_names_are_reported(name, vcpus, ram, disk, why):
    messages = violations("SOV006", flavor(name, vcpus, ram, disk))
    assert messages and why in messages[0]


def test_sov006_scs_name_spec_must_match_the_name():
    messages = violations("SOV006", flavor("SCS-2V-4", 2.0, 4096.0, **{"scs:name-v2": "SCS-2V-8"}))
    assert messages == ["flavor 'SCS-2V-4' declares scs:name-v2='SCS-2V-8', which differs from its name"]


@pytest.mark.parametrize(
    ("name", "vcpus", "ram", "disk"),
    [
        ("SCS-4V-16-50", 4.0, 16384.0, 50.0),
        ("SCS-2C-16", 2.0, 16384.0, 0.0),
        ("SCS-1L-1-5", 1.0, 1024.0, 5.0),
        ("SCS-2Li-3.5uo-3x10s_kvm", 2.0, 3584.0, 30.0),
        ("SCS-2C-4-", 2.0, 4096.0, 20.0),
        ("SCS-8T-32-100p", 8.0, 32768.0, 200.0),  # understatement is allowed
    ],
)
def test_sov006_valid_scs_names_pass(name, vcpus, ram, disk):
    assert violations("SOV006", flavor(name, vcpus, ram, disk, **{"scs:name-v2": name})) == []


# SOV007 / SOV008 / SOV009 -------------------------------------------------- #


def test_sov007_same_vlan_on_the_same_physical_network_is_reported():
    messages = violations("SOV007", network("a", "management", 100.0), network("b", "storage", 100.0))
    assert messages == ["VLAN 100 on physical network 'physnet1' is used by both network 'a' and 'b'"]


def test_sov007_same_vlan_on_different_physical_networks_passes():
    a = network("a", "management", 100.0, "physnet-mgmt-dc1")
    b = network("b", "management", 100.0, "physnet-mgmt-dc2")
    assert violations("SOV007", a, b, network("c", "storage", 101.0, "physnet-mgmt-dc1")) == []


def subnet(name: str, cidr: str) -> PlainResource:
    return res(SUBNET, name, name=name, cidr=cidr)


def test_sov008_same_or_overlapping_cidrs_are_reported():
    messages = violations("SOV008", subnet("a", "10.0.0.0/16"), subnet("b", "10.0.4.0/24"), subnet("c", "10.0.0.0/16"))
    assert len(messages) == 2 and all("overlaps subnet 'a'" in m for m in messages)


def test_sov008_disjoint_cidrs_pass():
    assert violations("SOV008", subnet("a", "10.0.0.0/24"), subnet("b", "10.0.1.0/24"), subnet("c", "fd00::/64")) == []


def test_sov009_two_flavors_with_one_name_are_reported():
    messages = violations("SOV009", flavor("SCS-2V-4", 2.0, 4096.0), flavor("SCS-2V-4", 2.0, 4096.0))
    assert len(messages) == 1 and "used by both" in messages[0]


def test_sov009_distinct_flavor_names_pass():
    assert violations("SOV009", flavor("SCS-2V-4", 2.0, 4096.0), flavor("SCS-2V-8", 2.0, 8192.0)) == []


# --------------------------------------------------------------------------- #


def test_each_rule_has_a_test_above():
    text = Path(__file__).read_text(encoding="utf-8").lower()
    for rule in (*RESOURCE_RULES, *STACK_RULES):
        assert f"test_{rule.id.lower()}_" in text, f"{rule.id} has no test"
