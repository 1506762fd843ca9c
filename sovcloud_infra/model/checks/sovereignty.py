"""Jurisdiction and the internal services a sovereign region depends on."""

from __future__ import annotations

from sovcloud_infra.model.problems import Location, ProblemSink
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
    at = services.at
    if len(set(services.ntp_servers)) < 2:
        sink.add(
            "too-few-ntp-servers",
            f"region.services.ntp_servers lists {len(set(services.ntp_servers))} server(s); at least two "
            "internal time sources are required (SecNumCloud 12.8)",
            at,
            "list two or more of the operator's internal NTP servers",
        )
    for url in filter(None, (services.package_mirror, services.security_mirror)):
        if not url.startswith(("http://", "https://")):
            sink.add(
                "invalid-value",
                f"package mirror {url!r} is not an http(s) URL",
                Location(at.file, at.line),
                "write the mirror as http://HOST/PATH or https://HOST/PATH",
            )
