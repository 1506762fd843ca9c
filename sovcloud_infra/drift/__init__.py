"""Drift checks: does the region still match its description?

Two halves, each read-only: the hosts (`hosts.run_host_drift`: the site playbook
in check and diff mode plus the hardening audit, per host and control ID) and
the cloud (`cloud.run_cloud_drift`: a refreshing Pulumi preview through the
Automation API, per resource and property). `results.DriftReport` holds both;
`reports` renders it for a terminal, for tools (JSON) and for CI (JUnit XML).
"""

from sovcloud_infra.drift.results import (
    CloudDrift,
    ControlDrift,
    DriftFormat,
    DriftReport,
    DriftStatus,
    HostDrift,
    HostsDrift,
    PropertyChange,
    ResourceDrift,
    TaskChange,
)

__all__ = [
    "CloudDrift",
    "ControlDrift",
    "DriftFormat",
    "DriftReport",
    "DriftStatus",
    "HostDrift",
    "HostsDrift",
    "PropertyChange",
    "ResourceDrift",
    "TaskChange",
]
