"""Neutron networks of the region: one provider network (VLAN or flat) per model network.

Every model network is registered in Neutron, infrastructure ones included:
that reserves their (physical network, VLAN) pairs in ML2 so a tenant VLAN
network can never be handed the management or storage VLAN, and lets the
operator's own services (load balancer amphorae, file shares) attach to them.
They are owned by the operator's project and never shared; a model network
marked ``shared`` is shared through RBAC with each tenant project, not with
every project of the cloud. Tags carry the purpose and scope that the
sovereignty policy reads (SOV004, SOV005).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud import topology
from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.schema import Network
from sovcloud_infra.policy.resources import PURPOSE_TAG, SCOPE_TAG, tag

MANAGED_TAG = tag("managed-by", "sovcloud")


class ProviderNetwork(Component):
    TYPE = f"{TYPE_PREFIX}:ProviderNetwork"

    def __init__(
        self,
        net: Network,
        *,
        owner: pulumi.Input[str],
        share_with: Mapping[str, pulumi.Input[str]],
        used_addresses: set[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"net-{net.name}", opts)
        segment = openstack.networking.NetworkSegmentArgs(
            network_type="vlan" if net.vlan is not None else "flat",
            physical_network=topology.neutron_physical_network(net),
            segmentation_id=net.vlan,
        )
        tags = [tag(PURPOSE_TAG, net.purpose.value), tag(SCOPE_TAG, topology.scope(net)), MANAGED_TAG]
        self.network = self.own(
            openstack.networking.Network(
                net.name,
                name=net.name,
                description=f"{net.purpose.value} network ({topology.scope(net)})",
                segments=[segment],
                mtu=net.mtu,
                external=net.external,
                shared=False,
                admin_state_up=True,
                tenant_id=owner,
                tags=tags,
                opts=self.child_opts(protect=True),
            )
        )
        pools = topology.allocation_pools(net, used_addresses)
        self.subnet = self.own(
            openstack.networking.Subnet(
                f"{net.name}-v4",
                name=f"{net.name}-v4",
                network_id=self.network.id,
                cidr=net.cidr,
                ip_version=4,
                gateway_ip=net.gateway,
                no_gateway=net.gateway is None,
                enable_dhcp=topology.dhcp_enabled(net),
                allocation_pools=[
                    openstack.networking.SubnetAllocationPoolArgs(start=start, end=end) for start, end in pools
                ],
                tenant_id=owner,
                tags=tags,
                opts=self.child_opts(protect=True),
            )
        )
        self.shares = []
        if net.shared:
            self.shares = [
                self.own(
                    openstack.networking.RbacPolicyV2(
                        f"{net.name}-shared-{tenant}",
                        action="access_as_shared",
                        object_type="network",
                        object_id=self.network.id,
                        target_tenant=project_id,
                        opts=self.child_opts(),
                    )
                )
                for tenant, project_id in sorted(share_with.items())
            ]
        self.done({"network_id": self.network.id})


class EdgeRouter(Component):
    """A router from the region's provider networks to one external network (SNAT, gateway of each subnet).

    The provider subnets' declared gateway address becomes the router's
    interface, so the model's ``gateway`` is Neutron's router, not a device
    outside OpenStack.
    """

    TYPE = f"{TYPE_PREFIX}:EdgeRouter"

    def __init__(
        self,
        external: ProviderNetwork,
        external_name: str,
        inside: dict[str, ProviderNetwork],
        *,
        owner: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"router-{external_name}", opts)
        self.router = self.own(
            openstack.networking.Router(
                f"{external_name}-edge",
                name=f"{external_name}-edge",
                external_network_id=external.network.id,
                enable_snat=True,
                admin_state_up=True,
                tenant_id=owner,
                tags=[MANAGED_TAG],
                opts=self.child_opts(),
            )
        )
        self.interfaces = [
            self.own(
                openstack.networking.RouterInterface(
                    f"{external_name}-edge-{name}",
                    router_id=self.router.id,
                    subnet_id=net.subnet.id,
                    opts=self.child_opts(),
                )
            )
            for name, net in sorted(inside.items())
        ]
        self.done({"router_id": self.router.id})
