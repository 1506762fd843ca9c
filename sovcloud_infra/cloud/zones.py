"""Availability zones: one Nova aggregate per datacenter, plus one per rack inside it.

The zone aggregate is what places an instance in a datacenter; its metadata
carries the country and fire zone, which the sovereignty policy (SOV001)
reads back. Rack aggregates have no zone: they name the failure domain below
the zone (top-of-rack switches, PDUs), so an operator can drain or disable a
rack in one call and schedulers can spread by rack.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud.base import TYPE_PREFIX, Component
from sovcloud_infra.model.schema import Datacenter, Rack


class AvailabilityZone(Component):
    TYPE = f"{TYPE_PREFIX}:AvailabilityZone"

    def __init__(
        self,
        dc: Datacenter,
        racks: list[Rack],
        hosts_by_rack: dict[str, list[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"az-{dc.zone}", opts)
        hosts = sorted(h for rack in racks for h in hosts_by_rack.get(rack.name, []))
        metadata = {"datacenter": dc.name, "country": dc.country, "city": dc.city, "fire_zone": dc.fire_zone}
        if dc.power_domain:
            metadata["power_domain"] = dc.power_domain
        # Protected: instances and volumes record their zone; deleting it strands them.
        self.aggregate = self.own(
            openstack.compute.AggregateV2(
                f"az-{dc.zone}",
                name=dc.zone,
                zone=dc.zone,
                hosts=hosts,
                metadata=metadata,
                opts=self.child_opts(protect=True),
            )
        )
        self.racks = [
            self.own(
                openstack.compute.AggregateV2(
                    f"rack-{rack.name}",
                    name=f"rack-{rack.name}",
                    hosts=hosts_by_rack.get(rack.name, []),
                    metadata={"rack": rack.name, "datacenter": dc.name, "fire_zone": dc.fire_zone},
                    opts=self.child_opts(depends_on=[self.aggregate]),
                )
            )
            for rack in sorted(racks, key=lambda r: r.index)
        ]
        self.done({"zone": dc.zone})
