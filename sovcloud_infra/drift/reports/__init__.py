"""The drift check's reports: terminal summary, JSON and JUnit XML, all from one `DriftReport`."""

from __future__ import annotations

import json

from sovcloud_infra.drift.reports.junit import render_junit
from sovcloud_infra.drift.reports.text import print_text, render_text
from sovcloud_infra.drift.results import DriftFormat, DriftReport


def render_json(report: DriftReport) -> str:
    data = report.model_dump(mode="json")
    data["exit_code"] = report.exit_code
    data["verdict"] = report.verdict
    return json.dumps(data, indent=2) + "\n"


def render(report: DriftReport, fmt: DriftFormat, verbose: bool = False) -> str:
    """The report as text in `fmt` (the terminal format without colours)."""
    if fmt == DriftFormat.json:
        return render_json(report)
    if fmt == DriftFormat.junit:
        return render_junit(report)
    return render_text(report, verbose=verbose)


__all__ = ["DriftFormat", "print_text", "render", "render_json", "render_junit", "render_text"]
