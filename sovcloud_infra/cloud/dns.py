"""The region's infrastructure DNS zone in Designate.

Only the zone is managed here: per-host records would make the resource count
grow with hosts; they are published by the host tooling from the model.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from sovcloud_infra.cloud.base import TYPE_PREFIX, Component

ZONE_TTL = 3600


class DnsZone(Component):
    TYPE = f"{TYPE_PREFIX}:DnsZone"

    def __init__(self, domain: str, operator: str, opts: pulumi.ResourceOptions | None = None) -> None:
        domain = domain.rstrip(".")
        super().__init__(f"dns-{domain}", opts)
        self.zone = self.own(
            openstack.dns.Zone(
                domain,
                name=f"{domain}.",
                email=f"hostmaster@{domain}",
                ttl=ZONE_TTL,
                type="PRIMARY",
                description=f"{operator}: infrastructure records",
                opts=self.child_opts(protect=True),
            )
        )
        self.done({"zone": f"{domain}."})
