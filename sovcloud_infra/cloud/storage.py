"""Storage tiers: a Cinder volume type per tier, with its backend, QoS and private access.

pulumi-openstack cannot create Cinder volume-type encryption, so encryption at
rest is the backend's (Ceph OSDs on dm-crypt, set up by the storage role); the
volume type declares it in ``sovcloud:encrypted``, and an unencrypted tier
carries its waiver, which the sovereignty policy (SOV002) checks. These keys
are scoped (``sovcloud:``), so Cinder's capabilities filter ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.schema import StorageTier
from sovcloud_infra.policy.resources import ENCRYPTED_SPEC, WAIVER_EXPIRES_SPEC, WAIVER_SPEC

SPEC_VALUE_MAX = 255
"""Cinder's limit on an extra spec value."""


def volume_type_specs(tier: StorageTier) -> dict[str, str]:
    specs = {
        "volume_backend_name": tier.backend,
        ENCRYPTED_SPEC: "true" if tier.encrypted else "false",
        "sovcloud:replication": str(tier.replication),
    }
    if not tier.encrypted and tier.encryption_waiver is not None:
        waiver = tier.encryption_waiver
        specs[WAIVER_SPEC] = f"{waiver.justification} (owner: {waiver.owner})"[:SPEC_VALUE_MAX]
        specs[WAIVER_EXPIRES_SPEC] = waiver.expires.isoformat()
    return specs


class StorageTierType(Component):
    TYPE = f"{TYPE_PREFIX}:StorageTier"

    def __init__(
        self,
        tier: StorageTier,
        *,
        private_to: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"tier-{tier.name}", opts)
        self.volume_type = self.own(
            openstack.blockstorage.VolumeTypeV3(
                tier.name,
                name=tier.name,
                description=f"{'encrypted' if tier.encrypted else 'UNENCRYPTED'}, {tier.replication}x replicated",
                is_public=tier.public,
                extra_specs=volume_type_specs(tier),
                opts=self.child_opts(protect=True),
            )
        )
        qos = tier.qos.model_dump(exclude_none=True) if tier.qos is not None else {}
        if qos:
            # front-end: QEMU enforces the limits; Ceph RBD backends cannot enforce back-end QoS.
            self.qos = self.own(
                openstack.blockstorage.QosV3(
                    f"{tier.name}-qos",
                    name=f"{tier.name}-qos",
                    consumer="front-end",
                    specs={key: str(value) for key, value in qos.items()},
                    opts=self.child_opts(),
                )
            )
            self.own(
                openstack.blockstorage.QosAssociationV3(
                    f"{tier.name}-qos",
                    qos_id=self.qos.id,
                    volume_type_id=self.volume_type.id,
                    opts=self.child_opts(),
                )
            )
        if not tier.public:
            for tenant, project_id in sorted(private_to.items()):
                self.own(
                    openstack.blockstorage.VolumeTypeAccessV3(
                        f"{tier.name}-{tenant}",
                        project_id=project_id,
                        volume_type_id=self.volume_type.id,
                        opts=self.child_opts(),
                    )
                )
        self.done({"volume_type": tier.name})
