"""The terminal report: hosts and controls that drifted, grouped by rack; then the cloud resources that drifted."""

from __future__ import annotations

import io
import json
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sovcloud_infra.drift.results import DriftReport, DriftStatus, HostsDrift

VALUE_WIDTH = 60


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + "..."


def _print_hosts(half: HostsDrift, console: Console, verbose: bool) -> None:
    if half.skipped:
        console.print(Text(f"hosts: skipped: {half.skipped}", style="yellow"))
        return
    for error in half.errors:
        console.print(Text(f"hosts: error: {error}", style="red"))
    for rack, hosts in groupby(half.hosts, key=lambda h: h.rack or "(no rack)"):
        table = Table(title=f"rack {rack}", title_justify="left")
        table.add_column("host", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("controls that drifted", overflow="fold")
        table.add_column("tasks that would change", overflow="fold")
        for host in hosts:
            status = host.status
            style = {DriftStatus.ok: "green", DriftStatus.drifted: "bold red", DriftStatus.error: "bold red"}
            label = "unreachable" if host.unreachable else status.value
            if host.error:
                table.add_row(host.host, Text(label, style="bold red"), host.error, "")
                continue
            drifted = ", ".join(c.control for c in host.drifted) or "-"
            tasks = ", ".join(dict.fromkeys(c.task for c in host.changes)) or "-"
            table.add_row(host.host, Text(label, style=style.get(status, "")), drifted, tasks)
        console.print(table)
    if verbose:
        for host in half.hosts:
            for change in host.changes:
                console.print(Text(f"{host.host}: {change.task} [{', '.join(change.controls) or 'untagged'}]"))
                if change.censored:
                    console.print(Text("    (no_log: result hidden by Ansible)", style="dim"))
                elif change.diff:
                    console.print(Text(change.diff), markup=False)


def print_text(report: DriftReport, console: Console, verbose: bool = False) -> None:
    console.print(Text(f"Drift check of '{report.stack}'", style="bold"))
    if report.hosts is not None:
        _print_hosts(report.hosts, console, verbose)
    cloud = report.cloud
    if cloud is not None:
        if cloud.skipped:
            console.print(Text(f"cloud: skipped: {cloud.skipped}", style="yellow"))
        elif cloud.error:
            console.print(Text(f"cloud: error: {cloud.error}", style="red"))
        elif not cloud.resources:
            console.print(Text(f"cloud: no drift (pulumi preview --refresh of '{cloud.stack}')", style="green"))
        else:
            table = Table(title=f"cloud resources that drifted ({cloud.stack})", title_justify="left")
            for column in ("resource", "type", "op", "property", "cloud", "program"):
                table.add_column(column, overflow="fold")
            for resource in cloud.resources:
                head = (resource.name, resource.type, resource.op)
                if not resource.properties:
                    table.add_row(*head, "-", "", "")
                for i, prop in enumerate(resource.properties):
                    table.add_row(*(head if i == 0 else ("", "", "")), prop.path, _short(prop.old), _short(prop.new))
            console.print(table)
    console.print(_summary(report))


def _summary(report: DriftReport) -> str:
    parts = []
    if report.hosts is not None and not report.hosts.skipped:
        hosts = report.hosts.hosts
        drifted = [h for h in hosts if h.status == DriftStatus.drifted]
        errors = [h for h in hosts if h.status == DriftStatus.error]
        controls = sum(len(h.drifted) for h in hosts)
        parts.append(f"{len(hosts)} host(s): {len(drifted)} drifted ({controls} control(s)), {len(errors)} in error")
    if report.cloud is not None and not report.cloud.skipped and not report.cloud.error:
        parts.append(f"{len(report.cloud.resources)} cloud resource(s) drifted")
    return "; ".join([*parts, f"{report.seconds:.1f}s: {report.verdict}"])


def render_text(report: DriftReport, verbose: bool = False) -> str:
    """The terminal report as plain text (for --output FILE)."""
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=160, no_color=True, highlight=False, soft_wrap=False), verbose)
    return buffer.getvalue()
