"""What a drift check produces: per host and control, per cloud resource, and the run around them.

These models are the JSON report as is and the input of the terminal and JUnit
reports, so every format says the same thing and gives the same exit code:
0 nothing drifted, 2 something drifted, 1 an error (an error outranks drift: an
incomplete check must not read as a verdict).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

UNTAGGED = "untagged"
"""The control of a task that carries no control ID in its tags."""


class DriftStatus(StrEnum):
    ok = "ok"
    drifted = "drifted"
    skipped = "skipped"
    error = "error"


class DriftFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


class TaskChange(BaseModel):
    """A task that would change a host: what check mode saw, with the diff (secrets redacted)."""

    task: str
    task_path: str | None = None
    action: str | None = None
    role: str | None = None
    controls: list[str] = Field(default_factory=list, description="control IDs from the task's tags")
    diff: str | None = Field(default=None, description="unified diff, redacted; None when the module gave none")
    censored: bool = Field(default=False, description="no_log task: Ansible hid its result, so no diff is shown")


class ControlDrift(BaseModel):
    """One control on one host: the tasks that would change it and the audit's verdict."""

    control: str = Field(description="catalogue control or recommendation ID, or 'untagged'")
    title: str | None = None
    status: DriftStatus
    tasks: list[str] = Field(default_factory=list, description="names of the tasks that would change something")
    audit: str | None = Field(default=None, description="the audit's status for this control (pass, fail, ...)")
    audit_summary: str | None = None


class HostDrift(BaseModel):
    host: str
    rack: str | None = None
    datacenter: str | None = None
    error: str | None = Field(default=None, description="why the host could not be checked (completely)")
    unreachable: bool = False
    changes: list[TaskChange] = Field(default_factory=list)
    controls: list[ControlDrift] = Field(default_factory=list)

    @property
    def status(self) -> DriftStatus:
        if self.error:
            return DriftStatus.error
        if self.changes or any(c.status == DriftStatus.drifted for c in self.controls):
            return DriftStatus.drifted
        return DriftStatus.ok

    @property
    def drifted(self) -> list[ControlDrift]:
        return [c for c in self.controls if c.status == DriftStatus.drifted]


class HostsDrift(BaseModel):
    """The host half: the site playbook in check and diff mode, and the hardening audit."""

    playbook: str = "playbooks/site.yml"
    seconds: float = 0.0
    skipped: str | None = Field(default=None, description="why the half did not run")
    errors: list[str] = Field(default_factory=list, description="problems of the run itself (inventory, no host)")
    hosts: list[HostDrift] = Field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(h.error for h in self.hosts)

    @property
    def has_drift(self) -> bool:
        return any(h.status == DriftStatus.drifted for h in self.hosts)


class PropertyChange(BaseModel):
    path: str = Field(description="property path as Pulumi gives it, e.g. 'description' or 'allocationPools[0].start'")
    kind: str = Field(description="add, update, delete, or their -replace variants")
    old: Any = Field(default=None, description="what the cloud holds (refreshed state)")
    new: Any = Field(
        default=None,
        description="what the program declares; for op 'refresh' (the program would not set it back): "
        "the recorded state",
    )


class ResourceDrift(BaseModel):
    urn: str
    type: str
    name: str
    op: str = Field(
        description="what Pulumi would do to bring the cloud back (update, replace, create, delete), or 'refresh': "
        "the cloud differs from the recorded state in a property the program would not set back"
    )
    properties: list[PropertyChange] = Field(default_factory=list)
    replace_keys: list[str] = Field(default_factory=list)


class CloudDrift(BaseModel):
    """The cloud half: a refreshing Pulumi preview (writes nothing to the state or the cloud)."""

    stack: str
    seconds: float = 0.0
    skipped: str | None = Field(default=None, description="why the half did not run")
    error: str | None = None
    change_summary: dict[str, int] = Field(default_factory=dict)
    resources: list[ResourceDrift] = Field(default_factory=list)

    @property
    def status(self) -> DriftStatus:
        if self.error:
            return DriftStatus.error
        if self.skipped:
            return DriftStatus.skipped
        return DriftStatus.drifted if self.resources else DriftStatus.ok


class DriftReport(BaseModel):
    stack: str
    generated: str = Field(description="ISO 8601 time of the run (UTC)")
    seconds: float = 0.0
    limit: str | None = None
    hosts: HostsDrift | None = Field(default=None, description="None when the host half was not asked for")
    cloud: CloudDrift | None = Field(default=None, description="None when the cloud half was not asked for")

    @property
    def has_errors(self) -> bool:
        return bool(self.hosts and self.hosts.has_errors) or bool(self.cloud and self.cloud.error)

    @property
    def has_drift(self) -> bool:
        return bool(self.hosts and self.hosts.has_drift) or bool(self.cloud and self.cloud.resources)

    @property
    def exit_code(self) -> int:
        """0 nothing drifted, 2 drift, 1 error (an error outranks drift)."""
        if self.has_errors:
            return 1
        return 2 if self.has_drift else 0

    @property
    def verdict(self) -> str:
        return {0: "no drift", 1: "incomplete (errors)", 2: "DRIFT"}[self.exit_code]
