"""Admin access: a security group that opens SSH and ping only from the management networks.

It belongs to the operator's project and is what operator instances (bastions,
monitoring) attach to. The sovereignty policy (SOV003) refuses any rule,
here or anywhere in the stack, that opens an admin port to the Internet.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.schema import Network

ALLOWED = (("ssh", "tcp", 22, 22), ("icmp", "icmp", None, None))
"""(label, protocol, first port, last port) opened from each management network."""


class AdminAccess(Component):
    TYPE = f"{TYPE_PREFIX}:AdminAccess"

    def __init__(
        self,
        region_name: str,
        management: list[Network],
        *,
        owner: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"admin-access-{region_name}", opts)
        self.group = self.own(
            openstack.networking.SecGroup(
                f"{region_name}-admin-access",
                name=f"{region_name}-admin-access",
                description="SSH and ping from the management networks only",
                tenant_id=owner,
                opts=self.child_opts(),
            )
        )
        self.rules = [
            self.own(
                openstack.networking.SecGroupRule(
                    f"{region_name}-admin-{label}-from-{net.name}",
                    security_group_id=self.group.id,
                    direction="ingress",
                    ethertype="IPv4",
                    protocol=protocol,
                    port_range_min=first,
                    port_range_max=last,
                    remote_ip_prefix=net.cidr,
                    description=f"{label} from {net.name}",
                    tenant_id=owner,
                    opts=self.child_opts(),
                )
            )
            for net in sorted(management, key=lambda n: n.name)
            for label, protocol, first, last in ALLOWED
        ]
        self.done({"security_group_id": self.group.id})
