"""A region at a glance: what `sovcloud show` prints and the lab's summary reuses."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sovcloud_infra.model import Region
from sovcloud_infra.model.schema import DiskPurpose, HostRole


def region_summary(region: Region) -> dict[str, Any]:
    """Plain data (JSON-ready) describing the region's sites, hosts, networks and capacity."""
    classes = {c.name: c for c in region.hypervisor_classes}
    tiers = region.storage_tiers
    replication = max((t.replication for t in tiers), default=1)
    datacenters = []
    for dc in region.datacenters:
        hosts = [h for h in region.hosts if h.rack.datacenter == dc.name]
        roles = Counter(r.value for h in hosts for r in h.roles)
        vcpus = ram = 0.0
        for h in hosts:
            if HostRole.hypervisor in h.roles and h.hypervisor_class in classes:
                cls = classes[h.hypervisor_class]
                threads = h.model.cpu.threads // (
                    2 if cls.smt.value == "off" and h.model.cpu.threads_per_core > 1 else 1
                )
                vcpus += max(threads - cls.reserved_host_cpus, 0) * cls.cpu_allocation_ratio
                ram += max(h.model.ram_gib - cls.reserved_host_memory_mb / 1024, 0) * cls.ram_allocation_ratio
        raw_tb = sum(d.size_gb for h in hosts for d in h.disks if d.purpose == DiskPurpose.osd) / 1000
        datacenters.append(
            {
                "name": dc.name,
                "availability_zone": dc.zone,
                "city": dc.city,
                "country": dc.country,
                "fire_zone": dc.fire_zone,
                "racks": [r.name for r in region.racks if r.datacenter == dc.name],
                "hosts": len(hosts),
                "roles": dict(sorted(roles.items())),
                "capacity": {
                    "vcpus": int(vcpus),
                    "ram_gib": int(ram),
                    "storage_raw_tb": round(raw_tb, 1),
                    "storage_usable_tb": round(raw_tb / replication, 1),
                },
                "power_w": {
                    "planned": sum(h.model.power_w for h in hosts),
                    "budget": sum(r.power_budget_w for r in region.racks if r.datacenter == dc.name),
                },
            }
        )
    return {
        "region": region.info.name,
        "stack": region.name,
        "operator": region.info.operator,
        "allowed_jurisdictions": region.info.allowed_jurisdictions,
        "datacenters": datacenters,
        "hosts": len(region.hosts),
        "racks": len(region.racks),
        "roles": dict(sorted(Counter(r.value for h in region.hosts for r in h.roles).items())),
        "networks": [
            {
                "name": n.name,
                "purpose": n.purpose.value,
                "vlan": n.vlan,
                "physical_network": n.physical_network,
                "cidr": n.cidr,
                "mtu": n.mtu,
                "scope": n.datacenter or "region",
            }
            for n in region.networks
        ],
        "storage_tiers": [{"name": t.name, "backend": t.backend, "encrypted": t.encrypted} for t in tiers],
        "hypervisor_classes": [
            {"name": c.name, "flavors": len(c.flavors), "cpu_policy": c.cpu_policy.value}
            for c in region.hypervisor_classes
        ],
        "tenants": [t.name for t in region.tenants],
        "sre_accounts": [name for _, name in region.members()],
    }
