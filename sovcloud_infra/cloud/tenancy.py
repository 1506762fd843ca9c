"""Keystone and quotas: the operator's domain, its operations project, SRE groups and tenant projects.

People are not created here: accounts come from the operator's identity
provider, which maps them into the SRE groups. Roles are looked up by name
(``admin``, ``reader``...), they already exist in every Keystone.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Tenant


class Identity(Component):
    """The region's domain, the operator's own project (owner of networks and admin access) and SRE groups."""

    TYPE = f"{TYPE_PREFIX}:Identity"

    def __init__(self, region: Region, opts: pulumi.ResourceOptions | None = None) -> None:
        info = region.info
        super().__init__(f"identity-{info.name}", opts)
        self.domain = self.own(
            openstack.identity.Project(
                f"domain-{info.name}",
                name=info.name,
                is_domain=True,
                description=f"{info.operator}: region {info.name}",
                enabled=True,
                opts=self.child_opts(protect=True),
            )
        )
        self.operations = self.own(
            openstack.identity.Project(
                f"{info.name}-operations",
                name=f"{info.name}-operations",
                domain_id=self.domain.id,
                description=f"{info.operator}: infrastructure networks and admin access of {info.name}",
                opts=self.child_opts(protect=True),
            )
        )
        roles: dict[str, pulumi.Output[str]] = {}
        for group in region.sre_groups:
            keystone_group = self.own(
                openstack.identity.GroupV3(
                    f"group-{group.name}",
                    name=group.name,
                    domain_id=self.domain.id,
                    description=f"SRE group {group.name} ({len(group.members)} members via the identity provider)",
                    opts=self.child_opts(protect=True),
                )
            )
            for role in group.openstack_roles:
                if role not in roles:
                    roles[role] = openstack.identity.get_role_output(name=role).id
                self.own(
                    openstack.identity.RoleAssignment(
                        f"{group.name}-{role}-on-{info.name}",
                        group_id=keystone_group.id,
                        domain_id=self.domain.id,
                        role_id=roles[role],
                        opts=self.child_opts(),
                    )
                )
        self.done({"domain_id": self.domain.id, "operations_project_id": self.operations.id})


class TenantProject(Component):
    """A tenant's project and its compute, network and volume quotas."""

    TYPE = f"{TYPE_PREFIX}:Tenant"

    def __init__(
        self, tenant: Tenant, *, domain_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"tenant-{tenant.name}", opts)
        q = tenant.quotas
        self.project = self.own(
            openstack.identity.Project(
                f"project-{tenant.name}",
                name=tenant.name,
                domain_id=domain_id,
                description=tenant.description or f"tenant {tenant.name}",
                opts=self.child_opts(protect=True),
            )
        )
        self.own(
            openstack.compute.QuotaSetV2(
                f"{tenant.name}-compute",
                project_id=self.project.id,
                instances=q.instances,
                cores=q.cores,
                ram=q.ram_gib * 1024,
                opts=self.child_opts(),
            )
        )
        self.own(
            openstack.networking.QuotaV2(
                f"{tenant.name}-network",
                project_id=self.project.id,
                network=q.networks,
                subnet=q.subnets,
                port=q.ports,
                router=q.routers,
                floatingip=q.floating_ips,
                security_group=q.security_groups,
                security_group_rule=q.security_group_rules,
                opts=self.child_opts(),
            )
        )
        self.own(
            openstack.blockstorage.QuoteSetV3(
                f"{tenant.name}-volume",
                project_id=self.project.id,
                volumes=q.volumes,
                gigabytes=q.volume_gb,
                snapshots=q.snapshots,
                opts=self.child_opts(),
            )
        )
        self.done({"project_id": self.project.id})
