"""Lookup plugin: the hardening plan of one host, computed from the control catalogue."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sovcloud_hardening_plan
short_description: What the hardening role enforces, waives and skips on a host
description:
  - Reads the control catalogue (sovcloud_infra/hardening/catalogue.yaml) and sorts every automated control
    into enforce, waived, not_applicable, not_remediated and above_level for the host's level, waivers,
    host groups and container status.
options:
  level:
    description: The host's ANSSI-BP-028 level.
    type: str
    required: true
  waivers:
    description: The waivers from the region model (control, host_group, justification, owner, expires).
    type: list
    elements: dict
    default: []
  host_groups:
    description: The host's groups (waivers of other groups are ignored).
    type: list
    elements: str
    default: []
  in_container:
    description: The host is a container (controls it cannot show become not_applicable).
    type: bool
    default: false
  not_applicable:
    description: Control or recommendation IDs that do not apply to this host, with the reason.
    type: dict
    default: {}
"""

RETURN = r"""
_raw:
  description: One dict with the lists enforce, waived, not_applicable, not_remediated, above_level.
  type: list
  elements: dict
"""

from typing import Any  # noqa: E402 (Ansible plugins document before importing)

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402


class LookupModule(LookupBase):  # type: ignore[misc]
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        try:
            from sovcloud_infra.hardening.plan import build_plan
        except ImportError as exc:
            raise AnsibleLookupError(
                f"the hardening plan needs the sovcloud_infra package in Ansible's Python ({exc}); "
                "run Ansible from the project's virtualenv (.venv/bin/ansible-playbook)"
            ) from exc
        try:
            plan = build_plan(
                level=str(self.get_option("level")),
                waivers=self.get_option("waivers") or [],
                host_groups=self.get_option("host_groups") or [],
                in_container=bool(self.get_option("in_container")),
                not_applicable=self.get_option("not_applicable") or {},
            )
        except (ValueError, KeyError) as exc:
            raise AnsibleLookupError(f"cannot build the hardening plan: {exc}") from exc
        return [plan]
