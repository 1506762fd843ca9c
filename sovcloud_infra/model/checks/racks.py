"""Rack space and power: units that collide, hosts past the top, budgets exceeded."""

from __future__ import annotations

from collections import defaultdict

from sovcloud_infra.model.problems import ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import Host


def check(region: Region, sink: ProblemSink) -> None:
    by_rack: dict[int, list[Host]] = defaultdict(list)
    for host in region.hosts:
        by_rack[id(host.rack)].append(host)  # by object, not name: two racks may wrongly share a name
    for rack in region.racks:
        hosts = by_rack.get(id(rack), [])
        occupied: dict[int, Host] = {}
        for host in hosts:
            top = host.position_u + host.units - 1
            if top > rack.height_u:
                sink.add(
                    "past-rack-top",
                    f"host '{host.hostname}' occupies U{host.position_u}-U{top} but rack '{rack.name}' "
                    f"is {rack.height_u}U high",
                    host.at,
                    f"move it to a position at or below U{rack.height_u - host.units + 1}",
                )
            for unit in range(host.position_u, min(top, rack.height_u) + 1):
                other = occupied.get(unit)
                if other is not None:
                    sink.add(
                        "rack-units-overlap",
                        f"hosts '{other.hostname}' and '{host.hostname}' both occupy U{unit} of rack '{rack.name}'",
                        host.at,
                        "give each host its own rack units (position_u and the hardware model's height)",
                        (other.at,),
                    )
                    break
                occupied[unit] = host
        planned = sum(h.model.power_w for h in hosts if h.has_model)
        if planned > rack.power_budget_w:
            sink.add(
                "power-over-budget",
                f"rack '{rack.name}' draws {planned} W planned but its budget is {rack.power_budget_w} W",
                rack.at,
                "move hosts to another rack or raise power_budget_w if the feed allows it",
            )
