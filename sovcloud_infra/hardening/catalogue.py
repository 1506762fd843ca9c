"""The control catalogue: the single place where control IDs live.

One YAML file (``catalogue.yaml`` beside this module) lists every ANSSI-BP-028
v2.0 recommendation (R1-R80) with its level, area and status, split into
checkable sub-controls (``R12.rp_filter``), plus the ANSSI SSH note's
recommendations (``SSH-R*``) and the SecNumCloud 3.2 items each one serves.

Each automated sub-control carries a declarative ``check`` that the audit
evaluates against a host's effective state, and is remediated by tasks of the
``hardening`` role tagged with the control ID; a test holds the two together.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")

LEVELS = ("minimal", "intermediary", "enhanced", "high")


class Status(StrEnum):
    automated = "automated"  # enforced by the role and checked by the audit
    manual = "manual"  # checked by a person (evidence outside the host), reported as `manual`
    organisational = "organisational"  # a process, not a host setting, reported as `manual`


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SysctlCheck(_Check):
    """Live value (sysctl) and persisted value (/etc/sysctl.d) of a kernel parameter."""

    kind: Literal["sysctl"]
    key: str
    value: str


class CmdlineCheck(_Check):
    """A kernel command-line parameter, live (/proc/cmdline) and in the boot loader's config."""

    kind: Literal["cmdline"]
    param: str


class MountCheck(_Check):
    """Options of a mount point, live (/proc/mounts) and in /etc/fstab; not applicable if it is not a separate mount."""

    kind: Literal["mount"]
    mountpoint: str
    options: list[str]


class FileCheck(_Check):
    """Owner, group and most permissive mode of files (globs allowed)."""

    kind: Literal["file"]
    paths: list[str]
    owner: str = "root"
    group: str | None = None
    mode_max: str = Field(description="octal, e.g. '0640': no permission bit beyond these")


class PackagesAbsentCheck(_Check):
    kind: Literal["packages_absent"]
    packages: list[str]


class ServicesDisabledCheck(_Check):
    kind: Literal["services_disabled"]
    services: list[str]


class SshdCheck(_Check):
    """A key of the effective sshd configuration (``sshd -T``, lower-case keys)."""

    kind: Literal["sshd"]
    key: str
    value: str | None = None
    contains: list[str] | None = Field(default=None, description="for list values: all of these present")
    excludes: list[str] | None = Field(default=None, description="for list values: none of these present")


class FileContentCheck(_Check):
    """A regular expression that must (or must not) match a file's content."""

    kind: Literal["file_content"]
    path: str
    pattern: str
    present: bool = True


class ScriptCheck(_Check):
    """A read-only shell command; the control passes when it prints nothing and exits 0."""

    kind: Literal["script"]
    command: str
    describe: str = Field(description="what a line of output means, for the evidence")


Check = Annotated[
    SysctlCheck
    | CmdlineCheck
    | MountCheck
    | FileCheck
    | PackagesAbsentCheck
    | ServicesDisabledCheck
    | SshdCheck
    | FileContentCheck
    | ScriptCheck,
    Field(discriminator="kind"),
]


#: A recommendation of the guide (``R33``, ``SSH-R3``) and one of its checkable controls (``R33.permit_root_login``).
RECOMMENDATION_ID_PATTERN = r"^(R\d{1,2}|SSH-R\d{1,2})$"
CONTROL_ID_PATTERN = r"^(R\d{1,2}|SSH-R\d{1,2})\.[a-z0-9_]+$"


class Control(BaseModel):
    """A checkable sub-control, e.g. ``R12.rp_filter``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CONTROL_ID_PATTERN)
    title: str
    check: Check | None = None
    container: Literal["applicable", "not-applicable"] = "applicable"
    container_reason: str | None = Field(default=None, description="why it cannot apply in a container")
    remediation: Literal["role", "none"] = "role"
    remediation_reason: str | None = Field(default=None, description="why the role does not remediate it")


class Recommendation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RECOMMENDATION_ID_PATTERN)
    title: str
    level: Literal["minimal", "intermediary", "enhanced", "high"]
    area: str
    status: Status
    reason: str | None = Field(default=None, description="required unless automated")
    secnumcloud: list[str] = Field(default_factory=list)
    controls: list[Control] = Field(default_factory=list)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    sources: list[str]
    recommendations: list[Recommendation]

    def for_level(self, level: str) -> list[Recommendation]:
        """Recommendations that apply at `level` (levels are cumulative)."""
        rank = LEVELS.index(level)
        return [r for r in self.recommendations if LEVELS.index(r.level) <= rank]

    def control(self, control_id: str) -> Control:
        for rec in self.recommendations:
            for ctl in rec.controls:
                if ctl.id == control_id:
                    return ctl
        raise KeyError(control_id)

    def recommendation_of(self, control_id: str) -> Recommendation:
        prefix = control_id.split(".", 1)[0]
        for rec in self.recommendations:
            if rec.id == prefix:
                return rec
        raise KeyError(control_id)

    def ids(self) -> set[str]:
        """Every recommendation and control ID (what task tags and waivers may name)."""
        return {r.id for r in self.recommendations} | {c.id for r in self.recommendations for c in r.controls}


@lru_cache(maxsize=1)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """The catalogue, validated (a malformed catalogue is a bug in the project, so this raises)."""
    return Catalogue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
