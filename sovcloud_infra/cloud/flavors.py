"""A hypervisor class's flavor catalogue and the aggregate that pins it to the class's hypervisors.

The class aggregate carries ``hypervisor_class=<name>`` in its metadata and
every flavor of the class asks for it through
``aggregate_instance_extra_specs:hypervisor_class`` (Nova's
AggregateInstanceExtraSpecsFilter), so a dedicated-CPU flavor never lands on
an oversubscribed hypervisor and the other way round. The aggregate has no
zone: hosts keep their datacenter's zone from `zones`.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud import flavor_names
from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.schema import HypervisorClass


class FlavorCatalogue(Component):
    TYPE = f"{TYPE_PREFIX}:FlavorCatalogue"

    def __init__(self, cls: HypervisorClass, hosts: list[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"flavors-{cls.name}", opts)
        self.aggregate = self.own(
            openstack.compute.AggregateV2(
                f"class-{cls.name}",
                name=f"class-{cls.name}",
                hosts=hosts,
                metadata={
                    flavor_names.CLASS_METADATA_KEY: cls.name,
                    "cpu_policy": cls.cpu_policy.value,
                    "smt": cls.smt.value,
                },
                opts=self.child_opts(),
            )
        )
        self.flavors = []
        for flavor in cls.flavors:
            name = flavor_names.scs_name(cls, flavor).v2()
            self.flavors.append(
                self.own(
                    openstack.compute.Flavor(
                        f"{cls.name}-{name}",
                        name=name,
                        vcpus=flavor.vcpus,
                        ram=flavor.ram_gib * 1024,
                        disk=flavor.disk_gb or 0,
                        is_public=True,
                        extra_specs=flavor_names.extra_specs(cls, flavor),
                        opts=self.child_opts(depends_on=[self.aggregate]),
                    )
                )
            )
        self.done({"flavors": [f.name for f in self.flavors]})
