"""Run every rule over a set of resources: what the offline plan reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sovcloud_infra.policy.resources import PlainResource
from sovcloud_infra.policy.rules import RULES, Context, ResourceRule, StackRule, Violation


@dataclass(frozen=True)
class RuleResult:
    id: str
    name: str
    description: str
    mandatory: bool
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "enforcement": "mandatory" if self.mandatory else "advisory",
            "passed": self.passed,
            "violations": [{"urn": v.urn, "name": v.name, "message": v.message} for v in self.violations],
        }


def evaluate(
    resources: Sequence[PlainResource],
    ctx: Context,
    rules: Sequence[ResourceRule | StackRule] = RULES,
) -> list[RuleResult]:
    """One result per rule, in rule-ID order, each with its violations."""
    results = []
    for rule in rules:
        if isinstance(rule, ResourceRule):
            violations = [v for res in resources for v in rule.run(res, ctx)]
        else:
            violations = rule.run(resources, ctx)
        results.append(RuleResult(rule.id, rule.name, rule.description, rule.mandatory, tuple(violations)))
    return results


def mandatory_failures(results: Sequence[RuleResult]) -> list[RuleResult]:
    return [r for r in results if r.mandatory and not r.passed]
