"""The resolved region: every object of a stack, with its cross-references followed.

After `load_region`, ``host.rack.dc`` is the datacenter object, every
``attachment.net`` the network object and ``attachment.ip`` the host's
address (explicit or allocated). Consumers (Pulumi program, Ansible
inventory, lab, audit) read only this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sovcloud_infra.model.schema import (
    Datacenter,
    Hardening,
    HardeningLevel,
    HardwareModel,
    Host,
    HostRole,
    HypervisorClass,
    Network,
    NetworkPurpose,
    Rack,
    RegionInfo,
    SreGroup,
    StorageTier,
    Tenant,
)


@dataclass
class Region:
    name: str
    """The stack name (the directory under ``stacks/``)."""
    region: RegionInfo | None = None
    datacenters: list[Datacenter] = field(default_factory=list)
    hardware_models: list[HardwareModel] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    storage_tiers: list[StorageTier] = field(default_factory=list)
    hypervisor_classes: list[HypervisorClass] = field(default_factory=list)
    tenants: list[Tenant] = field(default_factory=list)
    sre_groups: list[SreGroup] = field(default_factory=list)
    hardening: Hardening = field(default_factory=Hardening)
    racks: list[Rack] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)
    invalid_names: set[tuple[str, str]] = field(default_factory=set)
    """(kind, name) of items that failed their own validation: references to them are not reported again."""

    # ------------------------------------------------------------------ #
    @property
    def info(self) -> RegionInfo:
        assert self.region is not None, "region section missing"
        return self.region

    def datacenter(self, name: str) -> Datacenter:
        return _by_name(self.datacenters, name)

    def rack(self, name: str) -> Rack:
        return _by_name(self.racks, name)

    def network(self, name: str) -> Network:
        return _by_name(self.networks, name)

    def hypervisor_class(self, name: str) -> HypervisorClass:
        return _by_name(self.hypervisor_classes, name)

    def host(self, hostname: str) -> Host:
        for host in self.hosts:
            if host.hostname == hostname:
                return host
        raise KeyError(hostname)

    def hosts_with(self, role: HostRole) -> list[Host]:
        return [h for h in self.hosts if role in h.roles]

    def hosts_in_rack(self, rack: str) -> list[Host]:
        return [h for h in self.hosts if h.rack.name == rack]

    def networks_for(self, purpose: NetworkPurpose) -> list[Network]:
        return [n for n in self.networks if n.purpose == purpose]

    def members(self) -> Iterator[tuple[SreGroup, str]]:
        """(group, member name) for every SRE account."""
        for group in self.sre_groups:
            for member in group.members:
                yield group, member.name

    def level_for(self, host: Host) -> HardeningLevel:
        """The hardening level of a host: the strictest level among its groups, else the default."""
        order = list(HardeningLevel)
        levels = [self.hardening.levels[g] for g in host.groups if g in self.hardening.levels]
        if "all" in self.hardening.levels:
            levels.append(self.hardening.levels["all"])
        if not levels:
            return self.hardening.default_level
        return max(levels, key=order.index)

    def waivers_for(self, host: Host) -> list[dict[str, str]]:
        """The control waivers that apply to a host, as plain data for Ansible."""
        groups = {"all", *host.groups}
        return [
            {
                "control": w.control,
                "host_group": w.host_group,
                "justification": w.justification,
                "owner": w.owner,
                "expires": w.expires.isoformat(),
            }
            for w in self.hardening.waivers
            if w.host_group in groups
        ]


_Named = TypeVar("_Named", Datacenter, Rack, Network, HypervisorClass)


def _by_name(items: list[_Named], name: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)
