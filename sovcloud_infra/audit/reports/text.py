"""The terminal report: one summary row per host, then what fails (and, verbose, every non-pass result)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sovcloud_infra.audit.results import AuditReport, ResultStatus

STYLES = {
    ResultStatus.passed: "green",
    ResultStatus.failed: "bold red",
    ResultStatus.waived: "yellow",
    ResultStatus.not_applicable: "cyan",
    ResultStatus.manual: "magenta",
}


def score_text(score: float | None) -> str:
    return "-" if score is None else f"{score:.0%}"


def print_text(report: AuditReport, console: Console, verbose: bool = False) -> None:
    summary = Table(title=f"Hardening audit of '{report.stack}' (ANSSI-BP-028 catalogue v{report.catalogue_version})")
    # Host, level and numbers never wrap: the table fits 80 columns and a truncated host name is useless.
    summary.add_column("host", no_wrap=True)
    summary.add_column("level", no_wrap=True)
    for column in ("pass", "fail", "waived", "n/a", "manual", "score"):
        summary.add_column(column, justify="right", no_wrap=True)
    for host in report.hosts:
        if host.error:
            label = "unreachable" if host.unreachable else "error"
            summary.add_row(host.host, Text(label, style="bold red"), "", "", "", "", "", "-")
            continue
        counts = host.counts()
        summary.add_row(
            host.host,
            host.level or "-",
            str(counts["pass"]),
            Text(str(counts["fail"]), style="bold red" if counts["fail"] else ""),
            str(counts["waived"]),
            str(counts["not-applicable"]),
            str(counts["manual"]),
            score_text(host.score),
        )
    containers = sorted({h.container for h in report.hosts if h.container})
    if containers:
        names = ", ".join(h.host for h in report.hosts if h.container)
        summary.caption = f"in a container ({', '.join(containers)}): {names}"
    console.print(summary)
    for host in report.hosts:
        if host.error:
            console.print(Text(f"{host.host}: {host.error}", style="red"))
    for error in report.errors:
        console.print(Text(f"error: {error}", style="red"))
    failures = [(h.host, r) for h in report.hosts for r in h.failed]
    if failures:
        table = Table(title="Failing controls")
        table.add_column("host", no_wrap=True)
        for column in ("control", "title", "evidence"):
            table.add_column(column, overflow="fold")
        for host_name, result in failures:
            table.add_row(host_name, result.control, result.title, result.summary or result.reason or "")
        console.print(table)
    if verbose:
        others = [(h.host, r) for h in report.hosts for r in h.results if r.status != ResultStatus.passed]
        if others:
            table = Table(title="Every result that is not a pass")
            table.add_column("host", no_wrap=True)
            for column in ("control", "status", "reason"):
                table.add_column(column, overflow="fold")
            for host_name, result in others:
                status = Text(result.status.value, style=STYLES[result.status])
                table.add_row(host_name, result.control, status, result.reason or "")
            console.print(table)
        for host in report.hosts:
            for warning in host.warnings:
                console.print(Text(f"{host.host}: warning: {warning}", style="yellow"))
    counts = report.counts()
    verdict = {0: "compliant", 1: "incomplete (errors)", 2: "NOT compliant"}[report.exit_code]
    console.print(
        f"{len(report.hosts)} host(s), "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; score {score_text(report.score)}; {report.seconds:.1f}s: {verdict}"
    )


def render_text(report: AuditReport, verbose: bool = False) -> str:
    """The terminal report as plain text (for --output FILE)."""
    buffer = io.StringIO()
    print_text(report, Console(file=buffer, width=160, no_color=True, highlight=False, soft_wrap=False), verbose)
    return buffer.getvalue()
