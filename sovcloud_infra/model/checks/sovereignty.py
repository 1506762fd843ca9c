"""Jurisdiction and the internal services a sovereign region depends on."""

from __future__ import annotations

from sovcloud_infra.model.problems import ProblemSink
from sovcloud_infra.model.region import Region


def check(region: Region, sink: ProblemSink) -> None:
    if region.region is None:
        return
    allowed = set(region.info.allowed_jurisdictions)
    for dc in region.datacenters:
        if dc.country not in allowed:
            sink.add(
                "jurisdiction",
                f"datacenter '{dc.name}' is in {dc.country}, outside the region's allowed jurisdictions "
                f"({', '.join(sorted(allowed))})",
                dc.at,
                "sovereign regions keep data in the allowed jurisdictions (SecNumCloud 19.2): correct the "
                "country or, if the operator's scope changed, region.allowed_jurisdictions",
            )
    services = region.info.services

    if len(set(services.ntp_servers)) < 2:
        sink.add(
            "too-few-ntp-servers",
            f"region.services.ntp_servers lists {len(set(services.ntp_servers))} distinct server(s); at least two "
            "internal time sources are required (SecNumCloud 12.8)",
            services.field_at("ntp_servers"),
            "list two or more of the operator's internal NTP servers",
        )
    for key in ("package_mirror", "security_mirror"):
        url = getattr(services, key)
        if url and not url.startswith(("http://", "https://")):
            sink.add(
                "invalid-value",
                f"region.services.{key} {url!r} is not an http(s) URL",
                services.field_at(key),
                "write the mirror as http://HOST/PATH or https://HOST/PATH",
            )
