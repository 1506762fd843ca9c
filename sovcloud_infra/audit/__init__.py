"""The hardening audit: the effective state of every catalogue control on every host, with evidence.

`run_audit` runs ``playbooks/audit.yml`` (one read-only ``sovcloud_evidence``
module run per host, in check mode), `evaluate_host` judges each control of
the host's level (pass, fail, waived, not-applicable, manual), and
`sovcloud_infra.audit.reports` renders the result for a terminal, for CI
(JSON, JUnit XML) and for an auditor (self-contained HTML).
"""

from sovcloud_infra.audit.collect import audit_extravars, checks_for_level, collected_from_events, run_audit
from sovcloud_infra.audit.evaluate import evaluate_host
from sovcloud_infra.audit.results import AuditReport, ControlResult, HostAudit, ResultStatus

__all__ = [
    "AuditReport",
    "ControlResult",
    "HostAudit",
    "ResultStatus",
    "audit_extravars",
    "checks_for_level",
    "collected_from_events",
    "evaluate_host",
    "run_audit",
]
