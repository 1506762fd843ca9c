"""Run the project's playbooks through ansible-runner and summarise the outcome per host.

ansible-runner gives structured events and per-host stats instead of scraped
text, and isolates each run's artifacts in a temporary directory. The
playbooks run with the project's ``ansible.cfg`` and the ``ansible-playbook``
of the Python environment this package is installed in (the inventory plugin
imports this package).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovcloud_infra.stacks import PROJECT_ROOT

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """Ansible's output without its colour codes (the output tail, an event's display line)."""
    return _ANSI.sub("", text)


@dataclass
class HostOutcome:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: bool = False
    changed_tasks: list[str] = field(default_factory=list)
    #: Roles with at least one changed task (which roles a converge really applied).
    changed_roles: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


@dataclass
class PlaybookResult:
    playbook: str
    status: str
    rc: int
    seconds: float
    hosts: dict[str, HostOutcome]
    events: list[dict[str, Any]] = field(default_factory=list)
    output_tail: str = ""
    """The last lines Ansible printed: the only trace of errors that happen before any task runs."""

    @property
    def changed(self) -> int:
        return sum(h.changed for h in self.hosts.values())

    @property
    def succeeded(self) -> bool:
        """The play ran to its recap with no failed or unreachable host."""
        if self.rc != 0 or not self.hosts or any(h.ok == 0 and not h.unreachable for h in self.hosts.values()):
            return False
        return not any(h.failed or h.unreachable for h in self.hosts.values())


def inventory_path(stack: str) -> Path:
    """The inventory directory of a stack (``inventories/<stack>``)."""
    return PROJECT_ROOT / "inventories" / stack


def run_playbook(
    stack: str,
    playbook: str = "playbooks/site.yml",
    *,
    check: bool = False,
    diff: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    extravars: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    inventory: Path | None = None,
    keep_events: bool = False,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> PlaybookResult:
    """Run `playbook` against the stack's inventory (or `inventory`); never raises for a failed play.

    Check `.succeeded`; `env` overrides Ansible settings for this run only (the benchmarks compare
    the project's speed settings with Ansible's defaults that way).
    """
    import ansible_runner  # imported late: heavy, and only the host commands need it

    bin_dir = str(Path(sys.executable).parent)
    cmdline = []
    if check:
        cmdline.append("--check")
    if diff:
        cmdline.append("--diff")
    if tags:
        cmdline += ["--tags", tags]
    envvars = {
        "ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"),
        # Facts are cached per stack: copies of the lab reuse hostnames, and a fact cached for
        # another lab's host would give this run wrong addresses.
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(Path.home() / ".cache" / "sovcloud-infra" / "facts" / Path(stack).name),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_FORCE_COLOR": "0",
        **(env or {}),
    }
    events: list[dict[str, Any]] = []
    outcomes: dict[str, HostOutcome] = {}

    final_stats: dict[str, Any] = {}

    def handle(event: dict[str, Any]) -> bool:
        data = event.get("event_data", {})
        host = data.get("host")
        kind = event.get("event", "")
        if kind == "playbook_on_stats":
            # Taken here: events the handler does not keep never reach the artifacts, so
            # `Runner.stats` would be None and every counter would silently read 0.
            final_stats.update(data)
        if host and kind in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            outcome = outcomes.setdefault(host, HostOutcome())
            result = data.get("res", {})
            task = data.get("task", "?")
            if kind == "runner_on_ok" and result.get("changed"):
                outcome.changed_tasks.append(task)
                if data.get("role"):
                    outcome.changed_roles.add(data["role"])
            if kind == "runner_on_failed" and not data.get("ignore_errors"):
                outcome.failures.append(f"{task}: {result.get('msg', '')}".strip())
            if kind == "runner_on_unreachable":
                outcome.failures.append(f"unreachable: {result.get('msg', '')}".strip())
        if keep_events:
            events.append(event)
        if on_event is not None:
            on_event(event)
        return keep_events

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sovcloud-runner-") as private:
        run = ansible_runner.run(
            private_data_dir=private,
            project_dir=str(PROJECT_ROOT),
            playbook=str(PROJECT_ROOT / playbook),
            inventory=str(inventory or inventory_path(stack)),
            limit=limit,
            cmdline=" ".join(cmdline) or None,
            extravars=dict(extravars or {}),
            envvars=envvars,
            quiet=True,
            event_handler=handle,
            settings={"suppress_ansible_output": True},
        )
        stats = final_stats
        output_tail = "" if run.rc == 0 else "\n".join(run.stdout.read().splitlines()[-30:])
    for key, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"), ("skipped", "skipped")):
        # "ok" in Ansible's recap counts changed tasks too.
        for host, count in (stats.get(key) or {}).items():
            setattr(outcomes.setdefault(host, HostOutcome()), attr, count)
    for host in stats.get("dark") or {}:
        outcomes.setdefault(host, HostOutcome()).unreachable = True
    return PlaybookResult(
        playbook=playbook,
        status=run.status,
        rc=run.rc,
        seconds=time.monotonic() - start,
        hosts=dict(sorted(outcomes.items())),
        events=events,
        output_tail=output_tail,
    )
