"""The sovereignty rules as CrossGuard policies (``pulumi_policy``), for the pack in ``policy/``.

Only the policies are built here; the ``PolicyPack`` itself (whose
constructor starts a gRPC server and blocks) is built by ``policy/__main__.py``
alone. The allowed jurisdictions default to the EU/EEA and may be narrowed
per pack configuration (``allowedJurisdictions``), the region's own, stricter
list being enforced offline by ``sovcloud plan`` and ``sovcloud validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from sovcloud_infra.model.schema import EU_EEA
from sovcloud_infra.policy.resources import PlainResource
from sovcloud_infra.policy.rules import RESOURCE_RULES, STACK_RULES, Context, ResourceRule, StackRule

ReportViolation = Callable[..., None]

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedJurisdictions": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "description": "ISO country codes where availability zones may be (default: EU/EEA)",
        }
    }
)


def context(config: Mapping[str, Any]) -> Context:
    """The rule context from a policy's configuration."""
    allowed = config.get("allowedJurisdictions") or EU_EEA
    return Context(allowed_jurisdictions=frozenset(str(c) for c in allowed))


def _level(mandatory: bool) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if mandatory else EnforcementLevel.ADVISORY


def _policy_name(rule: ResourceRule | StackRule) -> str:
    return f"{rule.id.lower()}-{rule.name}"


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        resource = PlainResource(args.resource_type, args.name, args.props, args.urn)
        for message in rule.check(resource, context(args.get_config())):
            report_violation(f"[{rule.id}] {message}")

    return ResourceValidationPolicy(
        name=_policy_name(rule),
        description=f"{rule.id}: {rule.description}",
        validate=validate,
        enforcement_level=_level(rule.mandatory),
        config_schema=CONFIG_SCHEMA,
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            PlainResource(
                r.resource_type,
                r.name,
                r.props,
                r.urn,
                str(r.props.get("id") or ""),
                {key: [d.urn for d in deps] for key, deps in (r.property_dependencies or {}).items()},
            )
            for r in args.resources
        ]
        for violation in rule.check(resources, context(args.get_config())):
            report_violation(f"[{rule.id}] {violation.message}", violation.urn or None)

    return StackValidationPolicy(
        name=_policy_name(rule),
        description=f"{rule.id}: {rule.description}",
        validate=validate,
        enforcement_level=_level(rule.mandatory),
        config_schema=CONFIG_SCHEMA,
    )


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every rule as a CrossGuard policy, in rule-ID order."""
    built: list[tuple[str, ResourceValidationPolicy | StackValidationPolicy]] = [
        (rule.id, resource_policy(rule)) for rule in RESOURCE_RULES
    ]
    built += [(rule.id, stack_policy(rule)) for rule in STACK_RULES]
    return [policy for _, policy in sorted(built, key=lambda pair: pair[0])]
