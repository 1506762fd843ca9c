"""Compare two offline renderings: what would be created, deleted, replaced or updated, property by property.

Resources are matched by URN, as the engine does: a new name or parent is a
delete plus a create. Whether a changed property replaces the resource comes
from `REPLACE_ON_CHANGE`, the properties that terraform-provider-openstack
(which pulumi-openstack bridges) marks ForceNew: OpenStack cannot update them
in place. A replaced resource gets a new ID, so whatever refers to it through
a property changes too (`_cascade`). This is a prediction from the program's
declarations; the cloud's ``pulumi preview`` remains the authority.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sovcloud_infra.cloud.rendering import RenderedResource

Op = Literal["create", "delete", "replace", "update"]
OPS: tuple[Op, ...] = ("create", "update", "replace", "delete")

PROTECT = "[protect]"
"""Pseudo-property for the ``protect`` resource option (never a replacement)."""

REPLACE_ON_CHANGE: dict[str, frozenset[str]] = {
    "openstack:compute/flavor:Flavor": frozenset(
        {"name", "vcpus", "ram", "disk", "ephemeral", "swap", "rxTxFactor", "isPublic", "flavorId", "region"}
    ),
    "openstack:compute/aggregateV2:AggregateV2": frozenset({"region"}),
    "openstack:compute/quotaSetV2:QuotaSetV2": frozenset({"projectId", "region"}),
    "openstack:networking/network:Network": frozenset(
        {"segments", "tenantId", "valueSpecs", "availabilityZoneHints", "transparentVlan", "region"}
    ),
    "openstack:networking/subnet:Subnet": frozenset(
        {
            "networkId",
            "cidr",
            "prefixLength",
            "ipVersion",
            "ipv6AddressMode",
            "ipv6RaMode",
            "subnetpoolId",
            "tenantId",
            "valueSpecs",
            "region",
        }
    ),
    "openstack:networking/router:Router": frozenset(
        {"tenantId", "distributed", "availabilityZoneHints", "valueSpecs", "vendorOptions", "region"}
    ),
    "openstack:networking/routerInterface:RouterInterface": frozenset({"routerId", "subnetId", "portId", "region"}),
    "openstack:networking/rbacPolicyV2:RbacPolicyV2": frozenset({"action", "objectId", "objectType", "region"}),
    "openstack:networking/secGroup:SecGroup": frozenset({"tenantId", "region"}),
    "openstack:networking/secGroupRule:SecGroupRule": frozenset(
        {
            "direction",
            "ethertype",
            "protocol",
            "portRangeMin",
            "portRangeMax",
            "remoteIpPrefix",
            "remoteGroupId",
            "remoteAddressGroupId",
            "securityGroupId",
            "tenantId",
            "description",
            "region",
        }
    ),
    "openstack:networking/quotaV2:QuotaV2": frozenset({"projectId", "region"}),
    "openstack:blockstorage/volumeTypeV3:VolumeTypeV3": frozenset({"region"}),
    "openstack:blockstorage/qosV3:QosV3": frozenset({"name", "region"}),
    "openstack:blockstorage/qosAssociationV3:QosAssociationV3": frozenset({"qosId", "volumeTypeId", "region"}),
    "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3": frozenset({"projectId", "volumeTypeId", "region"}),
    "openstack:blockstorage/quoteSetV3:QuoteSetV3": frozenset({"projectId", "region"}),
    "openstack:identity/project:Project": frozenset({"domainId", "isDomain", "parentId", "region"}),
    "openstack:identity/groupV3:GroupV3": frozenset({"domainId", "region"}),
    "openstack:identity/roleAssignment:RoleAssignment": frozenset(
        {"domainId", "groupId", "projectId", "roleId", "userId", "region"}
    ),
    "openstack:dns/zone:Zone": frozenset({"name", "type", "projectId", "region"}),
}
"""Per resource type, the input properties whose change replaces the resource (delete + create)."""


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any = None
    new: Any = None
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()
    replaces: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "replaces": self.replaces}
        if self.added or self.removed:
            data.update(added=list(self.added), removed=list(self.removed))
        else:
            data.update(old=self.old, new=self.new)
        return data


@dataclass(frozen=True)
class Change:
    op: Op
    resource: RenderedResource
    properties: tuple[PropertyChange, ...] = ()
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "urn": self.resource.urn,
            "type": self.resource.type,
            "name": self.resource.name,
            "properties": [p.as_dict() for p in self.properties],
            "reasons": list(self.reasons),
        }


@dataclass
class PlanDiff:
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, int]:
        return {op: sum(1 for c in self.changes if c.op == op) for op in OPS}

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "changes": [c.as_dict() for c in self.changes]}


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def property_changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[PropertyChange]:
    """Changed leaves between two input dicts: dicts by key, scalar lists as added/removed items."""
    changes: list[PropertyChange] = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changes.extend(property_changes(before, after, f"{path}."))
        elif isinstance(before, list) and isinstance(after, list) and _is_scalar_list(before + after):
            old_items, new_items = set(before), set(after)
            added = tuple(v for v in after if v not in old_items)
            removed = tuple(v for v in before if v not in new_items)
            if added or removed:
                changes.append(PropertyChange(path, added=added, removed=removed))
            else:
                changes.append(PropertyChange(path, old=before, new=after))  # same items, new order
        else:
            changes.append(PropertyChange(path, old=before, new=after))
    return changes


def _top(path: str) -> str:
    return path.split(".", 1)[0]


def _references(value: Any, ids: Mapping[str, str]) -> set[str]:
    """URNs (via `ids`: mock ID -> URN) that a property value refers to."""
    if isinstance(value, str):
        return {ids[value]} if value in ids else set()
    if isinstance(value, dict):
        return set().union(*(_references(v, ids) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(v, ids) for v in value)) if value else set()
    return set()


def diff(old: Sequence[RenderedResource], new: Sequence[RenderedResource]) -> PlanDiff:
    """What applying `new` over `old` would do, one `Change` per affected resource."""
    before = {r.urn: r for r in old}
    after = {r.urn: r for r in new}
    ops: dict[str, Op] = {}
    props: dict[str, list[PropertyChange]] = {}
    reasons: dict[str, list[str]] = {}
    for urn, res in after.items():
        if urn not in before:
            ops[urn] = "create"
            continue
        prev = before[urn]
        forcing = REPLACE_ON_CHANGE.get(res.type, frozenset())
        changes = [
            PropertyChange(p.path, p.old, p.new, p.added, p.removed, _top(p.path) in forcing)
            for p in property_changes(prev.inputs, res.inputs)
        ]
        if prev.protect != res.protect:
            changes.append(PropertyChange(PROTECT, old=prev.protect, new=res.protect))
        if changes:
            ops[urn] = "replace" if any(c.replaces for c in changes) else "update"
            props[urn] = changes
    _cascade(after, ops, reasons)
    for urn, op in ops.items():
        if op == "create":
            props[urn] = [PropertyChange(key, new=value) for key, value in sorted(after[urn].inputs.items())]
    result = [Change(op, after[urn], tuple(props.get(urn, ())), tuple(reasons.get(urn, ()))) for urn, op in ops.items()]
    result += [
        Change("delete", res, tuple(PropertyChange(key, old=value) for key, value in sorted(res.inputs.items())))
        for urn, res in before.items()
        if urn not in after
    ]
    order = {op: i for i, op in enumerate(OPS)}
    result.sort(key=lambda c: (order[c.op], c.resource.type, c.resource.name))
    return PlanDiff(result)


def _cascade(after: Mapping[str, RenderedResource], ops: dict[str, Op], reasons: dict[str, list[str]]) -> None:
    """Propagate replacements: a resource referring to a replaced one gets its new ID.

    Through a replace-on-change property it is replaced too, through another
    property it is at least updated; repeated until nothing more changes.
    """
    ids = {r.id: r.urn for r in after.values() if r.id}
    pending = [urn for urn, op in ops.items() if op == "replace"]
    seen = set(pending)
    while pending:
        replaced = set(pending)
        pending = []
        for urn, res in after.items():
            if ops.get(urn) == "create":
                continue
            forcing = REPLACE_ON_CHANGE.get(res.type, frozenset())
            for key, value in res.inputs.items():
                hit = _references(value, ids) & replaced
                if not hit:
                    continue
                names = ", ".join(sorted(after[u].name for u in hit))
                if key in forcing:
                    reasons.setdefault(urn, []).append(f"{key} refers to {names}, which is replaced")
                    ops[urn] = "replace"
                    if urn not in seen:
                        seen.add(urn)
                        pending.append(urn)
                elif urn not in ops:
                    reasons.setdefault(urn, []).append(f"{key} refers to {names}, which gets a new ID")
                    ops[urn] = "update"
