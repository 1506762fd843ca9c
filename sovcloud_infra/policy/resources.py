"""Resources as the rules see them: a type token, a name and plain property dicts.

The same shape comes from three places: the CrossGuard analyzer (camelCase
engine property names), the offline plan (the mock monitor's inputs, also
camelCase, numbers as floats) and the tests. Keeping the rules on this shape
is what lets one function serve all three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

AGGREGATE = "openstack:compute/aggregateV2:AggregateV2"
FLAVOR = "openstack:compute/flavor:Flavor"
NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
RBAC_POLICY = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
SECGROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule"
VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"

PURPOSE_TAG = "purpose"
"""Neutron tag key (``purpose:management``) naming what a network carries; set by the program from the model."""
SCOPE_TAG = "scope"
"""Neutron tag key (``scope:<datacenter>`` or ``scope:region``)."""

ENCRYPTED_SPEC = "sovcloud:encrypted"
"""Volume type extra spec declaring that the backend encrypts at rest ("true"/"false")."""
WAIVER_SPEC = "sovcloud:encryption-waiver"
"""Volume type extra spec carrying the justification of an unencrypted tier."""
WAIVER_EXPIRES_SPEC = "sovcloud:encryption-waiver-expires"
"""Volume type extra spec carrying the waiver's expiry date (YYYY-MM-DD)."""


@dataclass(frozen=True)
class PlainResource:
    """One resource: its type token, logical name and input properties (engine names, camelCase)."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    id: str = ""
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Property name -> URNs of the resources that property's value comes from."""


def tag(key: str, value: str) -> str:
    """A Neutron tag ``key:value`` (Neutron tags are plain strings of at most 60 characters)."""
    return f"{key}:{value}"


def tags_of(props: Mapping[str, Any]) -> dict[str, str]:
    """The ``key:value`` tags of a resource as a dict (tags without a colon are ignored)."""
    tags = props.get("tags") or []
    pairs = (str(t).split(":", 1) for t in tags)
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def as_int(value: Any) -> int | None:
    """An engine number (a float under mocks, an int or float from the analyzer) as an int."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def as_bool(value: Any) -> bool:
    """A boolean property or extra-spec string ("true", "True", True)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
