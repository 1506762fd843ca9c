"""The whole region on OpenStack: one root component holding every concept's components.

Build order follows references: identity first (projects own networks and
receive RBAC, volume-type access and quotas), then zones, networks, routers,
flavors, storage, admin access and DNS.
"""

from __future__ import annotations

import pulumi

from sovcloud_infra.cloud import topology
from sovcloud_infra.cloud.access import AdminAccess
from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.cloud.dns import DnsZone
from sovcloud_infra.cloud.flavors import FlavorCatalogue
from sovcloud_infra.cloud.networks import EdgeRouter, ProviderNetwork
from sovcloud_infra.cloud.storage import StorageTierType
from sovcloud_infra.cloud.tenancy import Identity, TenantProject
from sovcloud_infra.cloud.zones import AvailabilityZone
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import NetworkPurpose


class RegionCloud(Component):
    TYPE = f"{TYPE_PREFIX}:Region"

    def __init__(self, region: Region, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(region.info.name, opts)
        child = pulumi.ResourceOptions(parent=self)
        topo = topology.topology(region)

        self.identity = self.own(Identity(region, child))
        operations = self.identity.operations.id
        self.tenants = {
            t.name: self.own(TenantProject(t, domain_id=self.identity.domain.id, opts=child)) for t in region.tenants
        }
        projects = {name: tenant.project.id for name, tenant in self.tenants.items()}

        self.zones = [
            self.own(
                AvailabilityZone(dc, [r for r in region.racks if r.datacenter == dc.name], topo.by_rack, opts=child)
            )
            for dc in region.datacenters
        ]

        self.networks = {
            net.name: self.own(
                ProviderNetwork(
                    net,
                    owner=operations,
                    share_with=projects,
                    used_addresses=topo.used_addresses.get(net.name, set()),
                    opts=child,
                )
            )
            for net in region.networks
        }
        inside = {
            n.name: self.networks[n.name] for n in region.networks_for(NetworkPurpose.provider) if n.gateway is not None
        }
        self.routers = [
            self.own(EdgeRouter(self.networks[ext.name], ext.name, inside, owner=operations, opts=child))
            for ext in region.networks_for(NetworkPurpose.external)
            if inside
        ]

        self.catalogues = [
            self.own(FlavorCatalogue(cls, topo.by_class.get(cls.name, []), opts=child))
            for cls in region.hypervisor_classes
        ]
        self.tiers = [
            self.own(
                StorageTierType(
                    tier,
                    private_to={t.name: projects[t.name] for t in region.tenants if tier.name in t.storage_tiers},
                    opts=child,
                )
            )
            for tier in region.storage_tiers
        ]
        self.admin_access = self.own(
            AdminAccess(region.info.name, region.networks_for(NetworkPurpose.management), owner=operations, opts=child)
        )
        self.dns = self.own(DnsZone(region.info.dns_domain, region.info.operator, opts=child))
        self.done({"zones": [dc.zone for dc in region.datacenters]})
