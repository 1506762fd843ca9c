"""The CrossGuard policies call the same rule functions: exercised through ``policy.validate``.

No ``PolicyPack`` is ever built here (its constructor serves gRPC and blocks);
``policy/__main__.py`` is only checked to build one from `policies()`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from sovcloud_infra.policy.crossguard import policies
from sovcloud_infra.policy.rules import RULES

REPO = Path(__file__).resolve().parents[2]
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def by_name(prefix: str) -> Any:
    return next(p for p in policies() if p.name.startswith(prefix))


def run_resource(policy: ResourceValidationPolicy, type_: str, props: dict[str, Any], config=None) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(type_, unknown_checking_proxy(props), f"urn:{type_}", "r", OPTS, None, config or {})
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def policy_resource(type_: str, name: str, props: dict[str, Any], deps=None) -> PolicyResource:
    return PolicyResource(type_, props, f"urn:{name}", name, OPTS, None, None, [], deps or {})


def test_one_mandatory_policy_per_rule_named_after_its_id():
    built = policies()
    assert [p.name.split("-", 1)[0] for p in built] == [r.id.lower() for r in RULES]
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in built)
    kinds = {p.name[:6]: type(p) for p in built}
    assert kinds["sov001"] is ResourceValidationPolicy and kinds["sov007"] is StackValidationPolicy


def test_resource_policy_reports_through_report_violation():
    policy = by_name("sov003")
    bad = {"direction": "ingress", "protocol": "tcp", "portRangeMin": 22, "portRangeMax": 22, "remoteIpPrefix": "::/0"}
    reported = run_resource(policy, "openstack:networking/secGroupRule:SecGroupRule", bad)
    assert len(reported) == 1 and reported[0].startswith("[SOV003]")
    good = {**bad, "remoteIpPrefix": "10.16.0.0/22"}
    assert run_resource(policy, "openstack:networking/secGroupRule:SecGroupRule", good) == []


def test_resource_policy_ignores_other_types():
    assert run_resource(by_name("sov003"), "openstack:compute/flavor:Flavor", {"name": "x"}) == []


def test_jurisdictions_default_to_eu_eea_and_follow_the_pack_configuration():
    policy = by_name("sov001")
    aggregate = "openstack:compute/aggregateV2:AggregateV2"
    german = {"zone": "de-1", "metadata": {"country": "DE"}}
    assert run_resource(policy, aggregate, german) == []
    assert run_resource(policy, aggregate, {"zone": "us-1", "metadata": {"country": "US"}})
    assert run_resource(policy, aggregate, german, {"allowedJurisdictions": ["FR"]})


def test_unknown_preview_values_are_left_to_the_analyzer():
    """During preview an unknown value raises UnknownValueError, which the analyzer reports as not evaluated."""
    props = {"direction": "ingress", "remoteIpPrefix": UNKNOWN_STRING_VALUE}
    with pytest.raises(UnknownValueError):
        run_resource(by_name("sov003"), "openstack:networking/secGroupRule:SecGroupRule", props)


def test_stack_policy_follows_property_dependencies():
    network = policy_resource(
        "openstack:networking/network:Network", "mgmt", {"name": "mgmt", "tags": ["purpose:management"]}
    )
    rbac = policy_resource(
        "openstack:networking/rbacPolicyV2:RbacPolicyV2",
        "share",
        {"action": "access_as_shared", "objectType": "network", "objectId": "abc", "targetTenant": "t"},
        {"objectId": [network]},
    )
    reported: list[tuple[str, str | None]] = []
    by_name("sov005").validate(
        StackValidationArgs([network, rbac], {}), lambda message, urn=None: reported.append((message, urn))
    )
    assert len(reported) == 1 and reported[0][0].startswith("[SOV005]") and reported[0][1] == "urn:share"


def test_the_pack_entry_point_builds_one_pack_from_the_shared_policies():
    tree = ast.parse((REPO / "policy" / "__main__.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"]
    assert len(calls) == 1
    keywords = {k.arg: k.value for k in calls[0].keywords}
    assert isinstance(keywords["policies"], ast.Call) and keywords["policies"].func.id == "policies"  # type: ignore[attr-defined]
    assert (REPO / "policy" / "PulumiPolicy.yaml").is_file() and (REPO / "policy" / "requirements.txt").is_file()
