"""Sovereignty rules for the cloud a region's Pulumi program builds.

The rules are pure functions over `PlainResource` (type token + camelCase
property dicts), so the same code serves the CrossGuard policy pack
(``policy/``, run by ``pulumi preview --policy-pack policy``) and the offline
plan (``sovcloud plan``). `sovcloud_infra.policy.backend` holds the separate
check that the Pulumi state backend and secrets provider stay sovereign.

Nothing here imports ``pulumi_policy``: building a ``PolicyPack`` starts a
gRPC server and blocks, so only the pack's own entry point does that.
"""

from sovcloud_infra.policy.evaluate import RuleResult, evaluate, mandatory_failures
from sovcloud_infra.policy.resources import PlainResource
from sovcloud_infra.policy.rules import RULES, Context, ResourceRule, StackRule, Violation

__all__ = [
    "RULES",
    "Context",
    "PlainResource",
    "ResourceRule",
    "RuleResult",
    "StackRule",
    "Violation",
    "evaluate",
    "mandatory_failures",
]
