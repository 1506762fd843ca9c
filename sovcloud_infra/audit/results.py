"""What an audit produces: one result per host and control, with its evidence, and the run around them.

These models are the JSON report as is, and the input of every other report
(terminal, JUnit, HTML), so all of them say the same thing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ResultStatus(StrEnum):
    passed = "pass"
    failed = "fail"
    waived = "waived"
    not_applicable = "not-applicable"
    manual = "manual"


STATUS_ORDER = tuple(ResultStatus)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    html = "html"


# Statuses that are not a verdict on the host: they must say why (the acceptance).
NEEDS_REASON = frozenset({ResultStatus.waived, ResultStatus.not_applicable, ResultStatus.manual})


class Waiver(BaseModel):
    """A sovcloud_waivers entry as the inventory gave it."""

    control: str
    host_group: str
    justification: str
    owner: str
    expires: str


class ControlResult(BaseModel):
    """The status of one control on one host, why, and what was seen."""

    control: str = Field(description="control ID, or the recommendation ID when it has no sub-control")
    recommendation: str
    title: str
    recommendation_title: str
    level: str
    area: str
    status: ResultStatus
    reason: str | None = Field(default=None, description="why waived, not-applicable or manual; what failed")
    summary: str | None = Field(default=None, description="the evidence in one line")
    evidence: dict[str, Any] = Field(default_factory=dict)
    waiver: Waiver | None = None
    secnumcloud: list[str] = Field(default_factory=list)


class HostAudit(BaseModel):
    host: str
    level: str | None = None
    host_groups: list[str] = Field(default_factory=list)
    container: str | None = Field(default=None, description="container type when the host is one")
    error: str | None = Field(default=None, description="why the host could not be audited")
    unreachable: bool = False
    changed: bool = Field(default=False, description="what the evidence module reported (always false)")
    collect_seconds: float | None = None
    warnings: list[str] = Field(default_factory=list)
    results: list[ControlResult] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((s.value for s in STATUS_ORDER), 0)
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    @property
    def score(self) -> float | None:
        """pass / (pass + fail) at the host's level; None when nothing was judged."""
        counts = self.counts()
        judged = counts["pass"] + counts["fail"]
        return counts["pass"] / judged if judged else None

    @property
    def failed(self) -> list[ControlResult]:
        return [r for r in self.results if r.status == ResultStatus.failed]


class AuditReport(BaseModel):
    stack: str
    catalogue_version: int
    generated: str = Field(description="ISO 8601 time of the run (UTC)")
    seconds: float
    check_mode: bool = True
    limit: str | None = None
    errors: list[str] = Field(default_factory=list, description="problems of the run itself (inventory, no host)")
    hosts: list[HostAudit] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        total = dict.fromkeys((s.value for s in STATUS_ORDER), 0)
        for host in self.hosts:
            for status, count in host.counts().items():
                total[status] += count
        return total

    @property
    def score(self) -> float | None:
        counts = self.counts()
        judged = counts["pass"] + counts["fail"]
        return counts["pass"] / judged if judged else None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(h.error for h in self.hosts)

    @property
    def exit_code(self) -> int:
        """0 compliant, 2 when a control fails, 1 when the audit is incomplete (an error outranks failures)."""
        if self.has_errors:
            return 1
        return 2 if any(h.failed for h in self.hosts) else 0

    def result(self, host: str, control: str) -> ControlResult:
        for audit in self.hosts:
            if audit.host == host:
                for result in audit.results:
                    if result.control == control:
                        return result
        raise KeyError(f"{host}/{control}")

    def statuses(self) -> dict[tuple[str, str], ResultStatus]:
        """(host, control) -> status: what the tamper tests compare."""
        return {(h.host, r.control): r.status for h in self.hosts for r in h.results}
