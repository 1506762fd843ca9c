"""The sovereignty rules, as pure functions.

Each rule has a stable ID (``SOV001``...) that tests, the CrossGuard pack and
merge-request comments refer to; never renumber one. Resource rules look at
one resource, stack rules at all of them (uniqueness, cross-references).
Rules never catch exceptions from property access: under CrossGuard an
unknown preview value raises ``UnknownValueError``, which the analyzer turns
into "not evaluated yet" for that resource.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sovcloud_infra.model.schema import EU_EEA, INFRASTRUCTURE_PURPOSES, NetworkPurpose
from sovcloud_infra.policy import scs
from sovcloud_infra.policy.resources import (
    AGGREGATE,
    ENCRYPTED_SPEC,
    FLAVOR,
    NETWORK,
    PURPOSE_TAG,
    RBAC_POLICY,
    SECGROUP_RULE,
    SUBNET,
    VOLUME_TYPE,
    WAIVER_EXPIRES_SPEC,
    WAIVER_SPEC,
    PlainResource,
    as_bool,
    as_int,
    tags_of,
)

ISOLATED_PURPOSES = frozenset({*INFRASTRUCTURE_PURPOSES, NetworkPurpose.tenant_overlay})
"""Networks that never become external or shared: the model's infrastructure networks plus the
tenant overlay, which is the VXLAN underlay (a guest on it could inject into every tenant network)."""


class AdminPort(NamedTuple):
    first: int
    last: int
    protocol: str
    label: str


ADMIN_PORTS: tuple[AdminPort, ...] = (
    AdminPort(22, 22, "tcp", "SSH"),
    AdminPort(623, 623, "udp", "IPMI/RMCP (BMC)"),
    AdminPort(5900, 5999, "tcp", "VNC/SPICE consoles"),
    AdminPort(16509, 16509, "tcp", "libvirt"),
    AdminPort(16514, 16514, "tcp", "libvirt over TLS"),
    AdminPort(35357, 35357, "tcp", "Keystone admin API"),
    AdminPort(8775, 8775, "tcp", "Nova metadata API"),
    AdminPort(8778, 8778, "tcp", "Placement API (service-only)"),
    AdminPort(6385, 6385, "tcp", "Ironic API (admin-only)"),
)
"""Ports that only operators may reach: never open to the whole Internet."""

_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp"}


@dataclass(frozen=True)
class Context:
    """Model-level facts the rules need and resource properties do not carry."""

    allowed_jurisdictions: frozenset[str] = frozenset(EU_EEA)
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    urn: str = ""
    name: str = ""


ResourceCheck = Callable[[PlainResource, Context], Iterable[str]]
StackCheck = Callable[[Sequence[PlainResource], Context], Iterable[Violation]]


@dataclass(frozen=True)
class ResourceRule:
    id: str
    name: str
    description: str
    types: frozenset[str]
    check: ResourceCheck
    mandatory: bool = True

    def run(self, resource: PlainResource, ctx: Context) -> list[Violation]:
        if resource.type not in self.types:
            return []
        return [Violation(self.id, msg, resource.urn, resource.name) for msg in self.check(resource, ctx)]


@dataclass(frozen=True)
class StackRule:
    id: str
    name: str
    description: str
    check: StackCheck
    mandatory: bool = True

    def run(self, resources: Sequence[PlainResource], ctx: Context) -> list[Violation]:
        return list(self.check(resources, ctx))


# --------------------------------------------------------------------------- #
# Resource rules
# --------------------------------------------------------------------------- #


def az_in_allowed_jurisdiction(res: PlainResource, ctx: Context) -> Iterator[str]:
    """SOV001: an aggregate that defines an availability zone names its country, inside the allowed set."""
    zone = res.props.get("zone")
    if not zone:
        return
    metadata: Mapping[str, Any] = res.props.get("metadata") or {}
    country = metadata.get("country")
    allowed = ", ".join(sorted(ctx.allowed_jurisdictions))
    if not country:
        yield f"availability zone '{zone}' has no country in its aggregate metadata; cannot show it is in {allowed}"
    elif str(country) not in ctx.allowed_jurisdictions:
        yield f"availability zone '{zone}' is in {country}, outside the allowed jurisdictions ({allowed})"


def storage_encrypted_or_waived(res: PlainResource, ctx: Context) -> Iterator[str]:
    """SOV002: a volume type declares encryption at rest, or carries a justified, unexpired waiver."""
    specs: Mapping[str, Any] = res.props.get("extraSpecs") or {}
    if as_bool(specs.get(ENCRYPTED_SPEC, False)):
        return
    name = res.props.get("name") or res.name
    justification = str(specs.get(WAIVER_SPEC) or "").strip()
    if not justification:
        yield (
            f"volume type '{name}' is not encrypted at rest ({ENCRYPTED_SPEC} is not 'true') and has no waiver "
            f"({WAIVER_SPEC})"
        )
        return
    expires = str(specs.get(WAIVER_EXPIRES_SPEC) or "")
    try:
        expiry = dt.date.fromisoformat(expires)
    except ValueError:
        yield f"volume type '{name}': the encryption waiver has no valid expiry ({WAIVER_EXPIRES_SPEC}={expires!r})"
        return
    if expiry < ctx.today:
        yield f"volume type '{name}': the encryption waiver expired on {expiry}"


def _is_world(prefix: Any) -> bool:
    try:
        return ipaddress.ip_network(str(prefix), strict=False).prefixlen == 0
    except ValueError:
        return False


def admin_ports_not_public(res: PlainResource, ctx: Context) -> Iterator[str]:
    """SOV003: no ingress rule opens an admin port to 0.0.0.0/0 or ::/0 (or to any source at all)."""
    props = res.props
    if str(props.get("direction", "")).lower() != "ingress":
        return
    prefix = props.get("remoteIpPrefix")
    if prefix:
        if not _is_world(prefix):
            return
        source = str(prefix)
    elif props.get("remoteGroupId") or props.get("remoteAddressGroupId"):
        return
    else:
        source = "any source (no remote prefix or group)"
    raw_protocol = str(props.get("protocol") or "").lower()
    protocol = _PROTOCOL_NUMBERS.get(raw_protocol, raw_protocol)
    if protocol not in ("", "any", "0", "tcp", "udp"):
        return
    low = as_int(props.get("portRangeMin")) or 0
    high = as_int(props.get("portRangeMax")) or 0
    if low == 0 and high == 0:
        low, high = 1, 65535
    high = high or low
    for port in ADMIN_PORTS:
        if protocol in ("tcp", "udp") and protocol != port.protocol:
            continue
        if low <= port.last and port.first <= high:
            span = str(port.first) if port.first == port.last else f"{port.first}-{port.last}"
            yield (
                f"security group rule '{res.name}' opens {port.label} ({span}/{port.protocol}) to {source}; "
                "admin ports may only be reached from the management networks"
            )


def isolated_network_not_exposed(res: PlainResource, ctx: Context) -> Iterator[str]:
    """SOV004: management, BMC, storage, replication and overlay networks are never external or shared."""
    purpose = tags_of(res.props).get(PURPOSE_TAG)
    name = res.props.get("name") or res.name
    if purpose is None:
        yield f"network '{name}' has no '{PURPOSE_TAG}:' tag; cannot tell whether it carries infrastructure traffic"
        return
    if purpose not in ISOLATED_PURPOSES:
        return
    for flag in ("external", "shared"):
        if as_bool(res.props.get(flag, False)):
            yield f"{purpose} network '{name}' is {flag}; infrastructure networks never are"


def flavor_name_scs(res: PlainResource, ctx: Context) -> Iterator[str]:
    """SOV006: every flavor's name follows SCS-0100 and does not overstate its vCPUs, RAM or disk."""
    name = str(res.props.get("name") or "")
    vcpus = as_int(res.props.get("vcpus")) or 0
    ram = as_int(res.props.get("ram")) or 0
    disk = as_int(res.props.get("disk")) or 0
    yield from scs.mismatches(name, vcpus, ram, disk)
    specs: Mapping[str, Any] = res.props.get("extraSpecs") or {}
    declared = specs.get("scs:name-v2")
    if declared is not None and declared != name:
        yield f"flavor '{name}' declares scs:name-v2={declared!r}, which differs from its name"


# --------------------------------------------------------------------------- #
# Stack rules
# --------------------------------------------------------------------------- #


def _of_type(resources: Sequence[PlainResource], type_: str) -> list[PlainResource]:
    return [r for r in resources if r.type == type_]


def rbac_never_exposes_isolated(resources: Sequence[PlainResource], ctx: Context) -> Iterator[Violation]:
    """SOV005: no RBAC policy shares an infrastructure network or makes it external."""
    networks = _of_type(resources, NETWORK)
    by_urn = {n.urn: n for n in networks if n.urn}
    by_id = {n.id: n for n in networks if n.id}
    for rbac in _of_type(resources, RBAC_POLICY):
        if str(rbac.props.get("objectType", "")) != "network":
            continue
        action = str(rbac.props.get("action", ""))
        if action not in ("access_as_shared", "access_as_external"):
            continue
        targets = [by_urn[u] for u in rbac.deps.get("objectId", ()) if u in by_urn]
        target_id = rbac.props.get("objectId")
        if not targets and target_id in by_id:
            targets = [by_id[str(target_id)]]
        for net in targets:
            purpose = tags_of(net.props).get(PURPOSE_TAG)
            if purpose in ISOLATED_PURPOSES:
                yield Violation(
                    "SOV005",
                    f"RBAC policy '{rbac.name}' grants {action} on {purpose} network "
                    f"'{net.props.get('name') or net.name}'; infrastructure networks are never shared",
                    rbac.urn,
                    rbac.name,
                )


def vlans_unique(resources: Sequence[PlainResource], ctx: Context) -> Iterator[Violation]:
    """SOV007: no (physical network, VLAN) pair is used by two networks (Neutron's own constraint too)."""
    seen: dict[tuple[str, str, int | None], PlainResource] = {}
    for net in _of_type(resources, NETWORK):
        for seg in net.props.get("segments") or []:
            kind = str(seg.get("networkType") or "")
            if kind not in ("vlan", "flat"):
                continue
            key = (kind, str(seg.get("physicalNetwork") or ""), as_int(seg.get("segmentationId")))
            first = seen.setdefault(key, net)
            if first is not net:
                what = f"VLAN {key[2]}" if kind == "vlan" else "the untagged (flat) segment"
                yield Violation(
                    "SOV007",
                    f"{what} on physical network '{key[1]}' is used by both network "
                    f"'{first.props.get('name') or first.name}' and '{net.props.get('name') or net.name}'",
                    net.urn,
                    net.name,
                )


def cidrs_unique(resources: Sequence[PlainResource], ctx: Context) -> Iterator[Violation]:
    """SOV008: no two subnets use the same or overlapping address ranges."""
    spans: list[tuple[int, int, int, ipaddress.IPv4Network | ipaddress.IPv6Network, PlainResource]] = []
    for sub in _of_type(resources, SUBNET):
        try:
            cidr = ipaddress.ip_network(str(sub.props.get("cidr")), strict=False)
        except ValueError:
            continue
        spans.append((cidr.version, int(cidr.network_address), -cidr.prefixlen, cidr, sub))
    spans.sort(key=lambda s: s[:3])
    widest: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, PlainResource] | None = None
    for _version, _start, _len, cidr, sub in spans:
        if widest is not None and widest[0].version == cidr.version and cidr.subnet_of(widest[0]):  # type: ignore[arg-type]
            other_cidr, other = widest
            yield Violation(
                "SOV008",
                f"subnet '{sub.props.get('name') or sub.name}' ({cidr}) overlaps subnet "
                f"'{other.props.get('name') or other.name}' ({other_cidr})",
                sub.urn,
                sub.name,
            )
            continue
        widest = (cidr, sub)


def flavor_names_unique(resources: Sequence[PlainResource], ctx: Context) -> Iterator[Violation]:
    """SOV009: flavor names are unique (Nova refuses a second flavor with the same name)."""
    seen: dict[str, PlainResource] = {}
    for flavor in _of_type(resources, FLAVOR):
        name = str(flavor.props.get("name") or "")
        first = seen.setdefault(name, flavor)
        if first is not flavor:
            yield Violation(
                "SOV009",
                f"flavor name '{name}' is used by both '{first.name}' and '{flavor.name}': two hypervisor classes "
                "derive the same SCS name; give one of them a different flavor shape",
                flavor.urn,
                flavor.name,
            )


RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "SOV001",
        "az-in-allowed-jurisdiction",
        "Every availability zone declares its country, inside the allowed jurisdictions (EU/EEA by default).",
        frozenset({AGGREGATE}),
        az_in_allowed_jurisdiction,
    ),
    ResourceRule(
        "SOV002",
        "storage-encrypted-or-waived",
        "Every volume type is encrypted at rest, or waived with a justification and an expiry date.",
        frozenset({VOLUME_TYPE}),
        storage_encrypted_or_waived,
    ),
    ResourceRule(
        "SOV003",
        "admin-ports-not-public",
        "No security group rule opens admin ports (SSH, IPMI, consoles, libvirt, admin APIs) to 0.0.0.0/0 or ::/0.",
        frozenset({SECGROUP_RULE}),
        admin_ports_not_public,
    ),
    ResourceRule(
        "SOV004",
        "infrastructure-network-not-exposed",
        "Management, BMC, storage, replication and overlay networks are never external or shared.",
        frozenset({NETWORK}),
        isolated_network_not_exposed,
    ),
    ResourceRule(
        "SOV006",
        "flavor-name-scs-0100",
        "Every flavor name follows SCS-0100 and matches the flavor's vCPUs, RAM and disk.",
        frozenset({FLAVOR}),
        flavor_name_scs,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "SOV005",
        "infrastructure-network-not-rbac-shared",
        "No RBAC policy shares an infrastructure network or makes it external.",
        rbac_never_exposes_isolated,
    ),
    StackRule(
        "SOV007",
        "vlan-unique",
        "No VLAN (or flat segment) is used twice on the same physical network.",
        vlans_unique,
    ),
    StackRule("SOV008", "cidr-unique", "No CIDR is used twice or overlaps another subnet.", cidrs_unique),
    StackRule("SOV009", "flavor-name-unique", "Flavor names are unique across the catalogue.", flavor_names_unique),
)

RULES: tuple[ResourceRule | StackRule, ...] = tuple(sorted((*RESOURCE_RULES, *STACK_RULES), key=lambda r: r.id))
