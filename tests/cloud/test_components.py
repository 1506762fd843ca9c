"""Each component under the SDK mock runtime, checked on the properties the engine would receive.

Every test is decorated with ``@pulumi.runtime.test`` and returns the Output
its checks hang on, so a failing assertion fails the test (the last test
proves it). Properties are read from the recording monitor: engine names
(camelCase), as the provider and the policies see them.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from sovcloud_infra.cloud.access import AdminAccess
from sovcloud_infra.cloud.base import Component
from sovcloud_infra.cloud.dns import DnsZone
from sovcloud_infra.cloud.flavors import FlavorCatalogue
from sovcloud_infra.cloud.mocks import RecordingMonitor, Registration
from sovcloud_infra.cloud.networks import EdgeRouter, ProviderNetwork
from sovcloud_infra.cloud.region import RegionCloud
from sovcloud_infra.cloud.storage import StorageTierType
from sovcloud_infra.cloud.tenancy import Identity, TenantProject
from sovcloud_infra.cloud.topology import topology
from sovcloud_infra.cloud.zones import AvailabilityZone
from sovcloud_infra.model import Region
from sovcloud_infra.model.schema import NetworkPurpose, StorageQos, StorageTier

AGGREGATE = "openstack:compute/aggregateV2:AggregateV2"
FLAVOR = "openstack:compute/flavor:Flavor"
NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
ROUTER = "openstack:networking/router:Router"
ROUTER_INTERFACE = "openstack:networking/routerInterface:RouterInterface"
SECGROUP = "openstack:networking/secGroup:SecGroup"
SECGROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule"
VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
QOS = "openstack:blockstorage/qosV3:QosV3"
QOS_ASSOCIATION = "openstack:blockstorage/qosAssociationV3:QosAssociationV3"
VOLUME_TYPE_ACCESS = "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"
PROJECT = "openstack:identity/project:Project"
GROUP = "openstack:identity/groupV3:GroupV3"
ROLE_ASSIGNMENT = "openstack:identity/roleAssignment:RoleAssignment"
COMPUTE_QUOTA = "openstack:compute/quotaSetV2:QuotaSetV2"
NETWORK_QUOTA = "openstack:networking/quotaV2:QuotaV2"
VOLUME_QUOTA = "openstack:blockstorage/quoteSetV3:QuoteSetV3"
ZONE = "openstack:dns/zone:Zone"


def when_settled(component: Component, check: Any) -> pulumi.Output[Any]:
    """Run `check` once every child of `component` is registered."""
    return component.settled().apply(lambda _: check())


def children_of(monitor: RecordingMonitor, component_type: str, name: str) -> list[Registration]:
    parent = next(r for r in monitor.find(component_type, name))
    return [r for r in monitor.registrations if r.parent == parent.urn]


# --------------------------------------------------------------------------- #
# Availability zones
# --------------------------------------------------------------------------- #


@pulumi.runtime.test
def test_zone_aggregate_has_zone_hypervisors_and_sovereignty_metadata(monitor, fr_par_1: Region):
    dc = fr_par_1.datacenter("fr-par-1-dc1")
    racks = [r for r in fr_par_1.racks if r.datacenter == dc.name]
    topo = topology(fr_par_1)
    az = AvailabilityZone(dc, racks, topo.by_rack)

    def check() -> None:
        agg = monitor.one(AGGREGATE, "az-fr-par-1a")
        expected = sorted(
            h.hostname for h in fr_par_1.hosts if h.rack.datacenter == dc.name and "hypervisor" in h.roles
        )
        assert agg.inputs["zone"] == "fr-par-1a" and agg.inputs["name"] == "fr-par-1a"
        assert agg.inputs["hosts"] == expected and len(expected) > 10
        assert agg.inputs["metadata"] == {
            "datacenter": "fr-par-1-dc1",
            "country": "FR",
            "city": "Paris",
            "fire_zone": "fz-1",
            "power_domain": "pd-1",
        }
        assert agg.protect is True
        rack_aggs = [r for r in monitor.find(AGGREGATE) if r.name.startswith("rack-")]
        assert sorted(r.name for r in rack_aggs) == sorted(f"rack-{r.name}" for r in racks)
        assert all("zone" not in r.inputs and not r.protect for r in rack_aggs)
        assert sorted(h for r in rack_aggs for h in r.inputs["hosts"]) == expected
        component = monitor.one("sovcloud:cloud:AvailabilityZone", "az-fr-par-1a")
        assert {agg.parent, *(r.parent for r in rack_aggs)} == {component.urn}

    return when_settled(az, check)


# --------------------------------------------------------------------------- #
# Networks
# --------------------------------------------------------------------------- #


@pulumi.runtime.test
def test_lab_networks_have_vlan_segments_subnets_and_pools(monitor, lab: Region):
    topo = topology(lab)
    nets = [
        ProviderNetwork(n, owner="Project/ops", share_with={}, used_addresses=topo.used_addresses.get(n.name, set()))
        for n in lab.networks
    ]

    def check() -> None:
        mgmt = monitor.one(NETWORK, "lab-mgmt")
        assert mgmt.inputs["segments"] == [
            {"networkType": "vlan", "physicalNetwork": "physnet-mgmt", "segmentationId": 10.0}
        ]
        assert mgmt.inputs["mtu"] == 1500.0 and mgmt.inputs["shared"] is False and mgmt.inputs["external"] is False
        assert mgmt.inputs["tags"] == ["purpose:management", "scope:region", "managed-by:sovcloud"]
        assert mgmt.inputs["tenantId"] == "Project/ops"
        assert monitor.one(NETWORK, "lab-storage").inputs["mtu"] == 9000.0
        ext = monitor.one(NETWORK, "lab-ext")
        assert ext.inputs["external"] is True and ext.inputs["segments"][0]["segmentationId"] == 40.0

        mgmt_v4 = monitor.one(SUBNET, "lab-mgmt-v4")
        assert mgmt_v4.inputs["cidr"] == "10.42.0.0/24" and mgmt_v4.inputs["gatewayIp"] == "10.42.0.1"
        assert mgmt_v4.inputs["networkId"] == "Network/lab-mgmt"
        assert mgmt_v4.inputs["enableDhcp"] is False
        # The three explicit host addresses (.11-.13) and the host range (.16+) are never in Neutron's pools.
        assert mgmt_v4.inputs["allocationPools"] == [
            {"start": "10.42.0.2", "end": "10.42.0.10"},
            {"start": "10.42.0.14", "end": "10.42.0.15"},
        ]
        ext_v4 = monitor.one(SUBNET, "lab-ext-v4")
        assert ext_v4.inputs["allocationPools"] == [{"start": "10.42.3.100", "end": "10.42.3.250"}]
        storage_v4 = monitor.one(SUBNET, "lab-storage-v4")
        assert storage_v4.inputs["noGateway"] is True and "gatewayIp" not in storage_v4.inputs
        for name in ("lab-mgmt", "lab-storage", "lab-overlay", "lab-ext"):
            assert monitor.one(NETWORK, name).protect and monitor.one(SUBNET, f"{name}-v4").protect
        assert monitor.find(RBAC) == []

    return pulumi.Output.all(*[n.settled() for n in nets]).apply(lambda _: check())


@pulumi.runtime.test
def test_datacenter_networks_reusing_a_vlan_get_their_own_physical_network(monitor, fr_par_1: Region):
    nets = [
        ProviderNetwork(fr_par_1.network(name), owner="Project/ops", share_with={}, used_addresses=set())
        for name in ("fr-par-1-dc1-mgmt", "fr-par-1-dc2-mgmt")
    ]

    def check() -> None:
        dc1 = monitor.one(NETWORK, "fr-par-1-dc1-mgmt").inputs["segments"][0]
        dc2 = monitor.one(NETWORK, "fr-par-1-dc2-mgmt").inputs["segments"][0]
        assert dc1["segmentationId"] == dc2["segmentationId"] == 100.0
        assert dc1["physicalNetwork"] == "physnet-mgmt-fr-par-1-dc1"
        assert dc2["physicalNetwork"] == "physnet-mgmt-fr-par-1-dc2"

    return pulumi.Output.all(*[n.settled() for n in nets]).apply(lambda _: check())


@pulumi.runtime.test
def test_shared_provider_network_is_shared_by_rbac_per_tenant_and_routed_to_external(monitor, fr_par_1: Region):
    tenants = {"ministere-exemple": "Project/m", "hopital-exemple": "Project/h"}
    provider = ProviderNetwork(
        fr_par_1.network("fr-par-1-provider"), owner="Project/ops", share_with=tenants, used_addresses=set()
    )
    ext = ProviderNetwork(
        fr_par_1.network("fr-par-1-ext"), owner="Project/ops", share_with=tenants, used_addresses=set()
    )
    router = EdgeRouter(ext, "fr-par-1-ext", {"fr-par-1-provider": provider}, owner="Project/ops")

    def check() -> None:
        net = monitor.one(NETWORK, "fr-par-1-provider")
        assert net.inputs["shared"] is False  # shared with the region's tenants only, through RBAC
        rbac = sorted(monitor.find(RBAC), key=lambda r: r.name)
        assert [r.name for r in rbac] == [
            "fr-par-1-provider-shared-hopital-exemple",
            "fr-par-1-provider-shared-ministere-exemple",
        ]
        assert {r.inputs["targetTenant"] for r in rbac} == {"Project/m", "Project/h"}
        assert all(r.inputs["action"] == "access_as_shared" and r.inputs["objectType"] == "network" for r in rbac)
        assert all(r.inputs["objectId"] == "Network/fr-par-1-provider" for r in rbac)
        assert all(r.deps["objectId"] == [net.urn] for r in rbac)
        v4 = monitor.one(SUBNET, "fr-par-1-provider-v4")
        assert v4.inputs["enableDhcp"] is True
        assert v4.inputs["allocationPools"] == [{"start": "172.20.8.0", "end": "172.20.15.254"}]
        edge = monitor.one(ROUTER, "fr-par-1-ext-edge")
        assert edge.inputs["externalNetworkId"] == "Network/fr-par-1-ext" and edge.inputs["enableSnat"] is True
        interface = monitor.one(ROUTER_INTERFACE, "fr-par-1-ext-edge-fr-par-1-provider")
        assert interface.inputs == {"routerId": "Router/fr-par-1-ext-edge", "subnetId": "Subnet/fr-par-1-provider-v4"}
        assert not edge.protect and not interface.protect

    return pulumi.Output.all(provider.settled(), ext.settled(), router.settled()).apply(lambda _: check())


# --------------------------------------------------------------------------- #
# Flavors
# --------------------------------------------------------------------------- #


@pulumi.runtime.test
def test_lab_flavors_have_scs_names_and_extra_specs_pinned_to_the_class(monitor, lab: Region):
    cls = lab.hypervisor_class("lab-general")
    catalogue = FlavorCatalogue(cls, ["lab-hv-01"])

    def check() -> None:
        names = sorted(f.inputs["name"] for f in monitor.find(FLAVOR))
        # 4.0 vCPUs per thread with SMT on is beyond SCS-0100's 3x: crowded cores, "L".
        assert names == ["SCS-1L-2-20", "SCS-2L-4-20", "SCS-4L-8"]
        small = monitor.one(FLAVOR, "lab-general-SCS-1L-2-20")
        assert small.inputs["vcpus"] == 1.0 and small.inputs["ram"] == 2048.0 and small.inputs["disk"] == 20.0
        assert small.inputs["extraSpecs"] == {
            "hw_rng:allowed": "True",
            "scs:name-v1": "SCS-1L:2:20",
            "scs:name-v2": "SCS-1L-2-20",
            "scs:cpu-type": "crowded-core",
            "hw:cpu_policy": "shared",
            "aggregate_instance_extra_specs:hypervisor_class": "lab-general",
        }
        assert monitor.one(FLAVOR, "lab-general-SCS-4L-8").inputs["disk"] == 0.0
        agg = monitor.one(AGGREGATE, "class-lab-general")
        assert agg.inputs["hosts"] == ["lab-hv-01"] and "zone" not in agg.inputs
        assert agg.inputs["metadata"]["hypervisor_class"] == "lab-general"
        assert not any(f.protect for f in monitor.find(FLAVOR))

    return when_settled(catalogue, check)


@pulumi.runtime.test
def test_dedicated_class_flavors_pin_cores_and_use_hugepages(monitor, fr_par_1: Region):
    cls = fr_par_1.hypervisor_class("dedicated")
    catalogue = FlavorCatalogue(cls, [])

    def check() -> None:
        flavor = monitor.one(FLAVOR, "dedicated-SCS-2C-16")
        specs = flavor.inputs["extraSpecs"]
        assert flavor.inputs["name"] == "SCS-2C-16" and flavor.inputs["disk"] == 0.0
        assert specs["hw:cpu_policy"] == "dedicated"
        assert specs["hw:cpu_thread_policy"] == "isolate"  # SMT off: one full core per vCPU
        assert specs["hw:mem_page_size"] == "1GB"
        assert specs["scs:cpu-type"] == "dedicated-core"
        assert specs["aggregate_instance_extra_specs:hypervisor_class"] == "dedicated"
        assert len(monitor.find(FLAVOR)) == 5

    return when_settled(catalogue, check)


# --------------------------------------------------------------------------- #
# Storage, tenancy, admin access, DNS
# --------------------------------------------------------------------------- #


@pulumi.runtime.test
def test_storage_tier_volume_type_with_backend_qos_and_encryption_flag(monitor, lab: Region):
    tier = StorageTierType(lab.storage_tiers[0], private_to={})

    def check() -> None:
        vt = monitor.one(VOLUME_TYPE, "ceph-ssd")
        assert vt.inputs["extraSpecs"] == {
            "volume_backend_name": "ceph-ssd",
            "sovcloud:encrypted": "true",
            "sovcloud:replication": "3",
        }
        assert vt.inputs["isPublic"] is True and vt.protect
        qos = monitor.one(QOS, "ceph-ssd-qos")
        assert qos.inputs["specs"] == {"total_iops_sec": "5000"} and qos.inputs["consumer"] == "front-end"
        assoc = monitor.one(QOS_ASSOCIATION, "ceph-ssd-qos")
        assert assoc.inputs == {"qosId": "QosV3/ceph-ssd-qos", "volumeTypeId": "VolumeTypeV3/ceph-ssd"}
        assert monitor.find(VOLUME_TYPE_ACCESS) == []

    return when_settled(tier, check)


@pulumi.runtime.test
def test_private_unencrypted_tier_carries_its_waiver_and_tenant_access(monitor, lab: Region):
    import datetime as dt

    from sovcloud_infra.model.schema import Waiver

    private = StorageTier(
        name="scratch",
        backend="local-lvm",
        encrypted=False,
        public=False,
        qos=StorageQos(read_iops_sec=100),
        encryption_waiver=Waiver(
            justification="Scratch space, wiped nightly", owner="sre", expires=dt.date(2030, 1, 1)
        ),
    )
    tier = StorageTierType(private, private_to={"demo": "Project/demo"})

    def check() -> None:
        specs = monitor.one(VOLUME_TYPE, "scratch").inputs["extraSpecs"]
        assert specs["sovcloud:encrypted"] == "false"
        assert specs["sovcloud:encryption-waiver"] == "Scratch space, wiped nightly (owner: sre)"
        assert specs["sovcloud:encryption-waiver-expires"] == "2030-01-01"
        access = monitor.one(VOLUME_TYPE_ACCESS, "scratch-demo")
        assert access.inputs == {"projectId": "Project/demo", "volumeTypeId": "VolumeTypeV3/scratch"}

    return when_settled(tier, check)


@pulumi.runtime.test
def test_identity_domain_operations_project_groups_and_roles(monitor, lab: Region):
    identity = Identity(lab)

    def check() -> None:
        domain = monitor.one(PROJECT, "domain-lab")
        assert domain.inputs["isDomain"] is True and domain.inputs["name"] == "lab" and domain.protect
        ops = monitor.one(PROJECT, "lab-operations")
        assert ops.inputs["domainId"] == "Project/domain-lab" and ops.protect
        group = monitor.one(GROUP, "group-sre-core")
        assert group.inputs["name"] == "sre-core" and group.inputs["domainId"] == "Project/domain-lab"
        assignment = monitor.one(ROLE_ASSIGNMENT, "sre-core-admin-on-lab")
        assert assignment.inputs == {
            "groupId": "GroupV3/group-sre-core",
            "domainId": "Project/domain-lab",
            "roleId": "role/admin",
        }

    return when_settled(identity, check)


@pulumi.runtime.test
def test_tenant_project_and_quotas(monitor, lab: Region):
    tenant = TenantProject(lab.tenants[0], domain_id="Project/domain-lab")

    def check() -> None:
        project = monitor.one(PROJECT, "project-demo")
        assert project.inputs["name"] == "demo" and project.protect
        compute = monitor.one(COMPUTE_QUOTA, "demo-compute").inputs
        assert (compute["instances"], compute["cores"], compute["ram"]) == (5.0, 10.0, 20 * 1024.0)
        volume = monitor.one(VOLUME_QUOTA, "demo-volume").inputs
        assert (volume["volumes"], volume["gigabytes"]) == (5.0, 100.0)
        network = monitor.one(NETWORK_QUOTA, "demo-network").inputs
        assert network["projectId"] == "Project/project-demo" and network["floatingip"] == 5.0

    return when_settled(tenant, check)


@pulumi.runtime.test
def test_admin_access_opens_ssh_and_ping_only_from_management_networks(monitor, fr_par_1: Region):
    mgmt = fr_par_1.networks_for(NetworkPurpose.management)
    access = AdminAccess("fr-par-1", mgmt, owner="Project/ops")

    def check() -> None:
        rules = monitor.find(SECGROUP_RULE)
        assert len(rules) == 2 * len(mgmt) == 4
        assert {r.inputs["remoteIpPrefix"] for r in rules} == {"10.16.0.0/22", "10.17.0.0/22"}
        assert {(r.inputs["protocol"], r.inputs.get("portRangeMin")) for r in rules} == {("tcp", 22.0), ("icmp", None)}
        assert all(r.inputs["direction"] == "ingress" for r in rules)
        assert monitor.one(SECGROUP, "fr-par-1-admin-access").inputs["tenantId"] == "Project/ops"

    return when_settled(access, check)


@pulumi.runtime.test
def test_dns_zone_is_protected_and_fully_qualified(monitor, lab: Region):
    zone = DnsZone(lab.info.dns_domain, lab.info.operator)

    def check() -> None:
        rec = monitor.one(ZONE, "lab.sovcloud.internal")
        assert rec.inputs["name"] == "lab.sovcloud.internal." and rec.inputs["type"] == "PRIMARY"
        assert rec.inputs["email"] == "hostmaster@lab.sovcloud.internal" and rec.protect

    return when_settled(zone, check)


# --------------------------------------------------------------------------- #
# The whole region
# --------------------------------------------------------------------------- #

STATEFUL = {NETWORK, SUBNET, VOLUME_TYPE, PROJECT, GROUP, ZONE}


@pulumi.runtime.test
def test_region_parents_every_child_and_protects_stateful_resources(monitor, fr_par_1: Region):
    cloud = RegionCloud(fr_par_1)

    def check() -> None:
        by_urn = {r.urn: r for r in monitor.registrations}
        root = monitor.one("sovcloud:cloud:Region", "fr-par-1")
        for rec in monitor.registrations:
            if rec is root:
                continue
            parent = by_urn.get(rec.parent)
            assert parent is not None and not parent.custom, f"{rec.name} is not parented to a component"
            if rec.type in STATEFUL:
                assert rec.protect, f"{rec.type} {rec.name} is not protected"
        zones = [r for r in monitor.find(AGGREGATE) if "zone" in r.inputs]
        assert all(z.protect for z in zones) and len(zones) == 2
        names = [(r.type, r.name) for r in monitor.registrations]
        assert len(names) == len(set(names)), "resource names are not unique"
        assert not any(h.hostname in r.name for r in monitor.registrations for h in fr_par_1.hosts), (
            "no resource is named after a host"
        )

    return when_settled(cloud, check)


def test_a_failing_check_inside_apply_fails_the_test():
    """Guard for the pattern above: without @pulumi.runtime.test an apply's assertion would pass silently."""

    @pulumi.runtime.test
    def failing() -> pulumi.Output[None]:
        def check(_: Any) -> None:
            raise AssertionError("seen")

        return pulumi.Output.from_input(1).apply(check)

    with pytest.raises(AssertionError, match="seen"):
        failing()
