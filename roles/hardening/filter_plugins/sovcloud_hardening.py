"""Filters of the hardening role: thin wrappers over sovcloud_infra.hardening (typed and unit-tested there)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError


def _expired(waivers: list[dict[str, Any]], today: str) -> list[dict[str, Any]]:
    from sovcloud_infra.hardening.plan import expired_waivers

    return expired_waivers(waivers or [], dt.date.fromisoformat(str(today)))


def _wrap(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            from sovcloud_infra.hardening import remediation
        except ImportError as exc:
            raise AnsibleFilterError(f"the hardening filters need the sovcloud_infra package ({exc})") from exc
        return getattr(remediation, name)(*args, **kwargs)

    call.__name__ = name
    return call


class FilterModule:
    """sovcloud_hardening_* filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        names = [
            "sysctl_changes",
            "mount_requirements",
            "mount_options",
            "remounts",
            "fstab_with_options",
            "file_fixes",
            "key_ids",
            "sshd_admits",
            "split_args",
        ]
        return {"sovcloud_hardening_expired_waivers": _expired} | {
            f"sovcloud_hardening_{name}": _wrap(name) for name in names
        }
