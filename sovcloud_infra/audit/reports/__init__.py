"""The audit's reports: terminal table, JSON, JUnit XML and self-contained HTML, all from one `AuditReport`."""

from __future__ import annotations

from sovcloud_infra.audit.reports.html import render_html
from sovcloud_infra.audit.reports.junit import render_junit
from sovcloud_infra.audit.reports.text import print_text, render_text
from sovcloud_infra.audit.results import AuditReport, ReportFormat


def render_json(report: AuditReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def render(report: AuditReport, fmt: ReportFormat, verbose: bool = False) -> str:
    """The report as text in `fmt` (the terminal format without colours)."""
    if fmt == ReportFormat.json:
        return render_json(report)
    if fmt == ReportFormat.junit:
        return render_junit(report)
    if fmt == ReportFormat.html:
        return render_html(report)
    return render_text(report, verbose=verbose)


__all__ = ["ReportFormat", "print_text", "render", "render_html", "render_json", "render_junit", "render_text"]
