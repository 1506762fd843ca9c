"""What each role needs from a host: a hypervisor class, data disks, the right networks."""

from __future__ import annotations

from sovcloud_infra.model.problems import ProblemSink
from sovcloud_infra.model.region import Region
from sovcloud_infra.model.schema import DiskPurpose, Host, HostRole, NetworkPurpose


def check(region: Region, sink: ProblemSink) -> None:
    purposes = {n.purpose for n in region.networks}
    for host in region.hosts:
        who = f"host '{host.hostname}'"
        attached = {a.net.purpose for a in host.networks if a.resolved}
        # With an unresolved attachment the host's networks are unknown; the dangling reference says why.
        complete = not _dangling_attachment(host)
        if NetworkPurpose.management not in attached and complete:
            sink.add(
                "role-needs",
                f"{who} has no attachment to a management network",
                host.at,
                "add a networks entry for the datacenter's management network (Ansible reaches hosts there)",
            )
        if HostRole.hypervisor in host.roles and host.hypervisor_class is None:
            sink.add(
                "role-needs",
                f"{who} is a hypervisor without a hypervisor_class",
                host.at,
                f"set hypervisor_class to one of: {', '.join(c.name for c in region.hypervisor_classes)}",
            )
        if HostRole.hypervisor not in host.roles and host.hypervisor_class is not None:
            sink.add(
                "role-needs",
                f"{who} has a hypervisor_class but not the hypervisor role",
                host.at,
                "remove hypervisor_class or add the 'hypervisor' role",
            )
        if HostRole.storage in host.roles:
            if not any(d.purpose == DiskPurpose.osd for d in host.disks):
                sink.add(
                    "role-needs",
                    f"{who} is a storage node without data disks (purpose: osd)",
                    host.at,
                    "list its data disks with purpose 'osd' (serial and size as the hardware reports them)",
                )
            if NetworkPurpose.storage in purposes and NetworkPurpose.storage not in attached and complete:
                sink.add(
                    "role-needs",
                    f"{who} is a storage node not attached to a storage network",
                    host.at,
                    "attach it to the datacenter's storage network",
                )
        if HostRole.network in host.roles:
            edge = {NetworkPurpose.external, NetworkPurpose.provider} & purposes
            if edge and not (edge & attached) and complete:
                sink.add(
                    "role-needs",
                    f"{who} is a network node attached to no external or provider network",
                    host.at,
                    "attach it to the external network it routes tenants to",
                )
        if not any(d.purpose == DiskPurpose.os for d in host.disks):
            sink.add(
                "role-needs",
                f"{who} has no system disk (purpose: os)",
                host.at,
                "list the disk the OS is installed on with purpose 'os'",
            )


def _dangling_attachment(host: Host) -> bool:
    """True if some attachment did not resolve: the dangling reference is reported already."""
    return any(not a.resolved for a in host.networks)
