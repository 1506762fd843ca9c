"""Drift reports: JUnit validates and counts right, JSON carries the verdict, exit codes agree in every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sovcloud_infra.drift.hosts import changes_from_events, merge
from sovcloud_infra.drift.reports import render
from sovcloud_infra.drift.results import (
    CloudDrift,
    DriftFormat,
    DriftReport,
    HostsDrift,
    PropertyChange,
    ResourceDrift,
)
from sovcloud_infra.drift.tags import TagIndex

from .conftest import CAPTURE

REPO = Path(__file__).resolve().parents[2]


def _report(runner_events: list[dict[str, Any]], cloud: CloudDrift | None = None) -> DriftReport:
    found = changes_from_events(runner_events, TagIndex.build(CAPTURE, playbooks=[CAPTURE / "play.yml"]))
    hosts = merge(found, None, None, {"localhost": ("lab-r01", "lab-dc1"), "ghost": ("lab-r02", "lab-dc1")})
    return DriftReport(stack="lab", generated="2026-11-29T00:00:00+00:00", hosts=HostsDrift(hosts=hosts), cloud=cloud)


def _cloud() -> CloudDrift:
    prop = PropertyChange(path="mtu", kind="update", old=1500, new=9000)
    return CloudDrift(
        stack="lab",
        resources=[ResourceDrift(urn="urn:x::net", type="t:net", name="net", op="update", properties=[prop])],
    )


def test_junit_counts(runner_events: list[dict[str, Any]]):
    root = ET.fromstring(render(_report(runner_events, _cloud()), DriftFormat.junit))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"ghost", "localhost", "cloud lab"}
    ghost, local = suites["ghost"], suites["localhost"]
    assert (ghost.get("tests"), ghost.get("errors")) == ("1", "1")
    assert ghost.find("testcase/error").get("type") == "unreachable"
    # localhost: R12.rp_filter, R33, R59, SSH-R3, all drifted.
    assert [c.get("name") for c in local.findall("testcase")] == ["R12.rp_filter", "R33", "R59", "SSH-R3"]
    assert (local.get("tests"), local.get("failures")) == ("4", "4")
    assert suites["cloud lab"].get("failures") == "1"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "5", "1")
    assert "abcdef" not in render(_report(runner_events), DriftFormat.junit)


def test_skipped_cloud_is_a_skipped_case_and_not_an_error():
    report = DriftReport(stack="lab", generated="x", cloud=CloudDrift(stack="lab", skipped="no CLI"))
    root = ET.fromstring(render(report, DriftFormat.junit))
    assert (root.get("tests"), root.get("skipped"), root.get("errors")) == ("1", "1", "0")
    assert report.exit_code == 0


def test_json_and_text(runner_events: list[dict[str, Any]]):
    report = _report(runner_events, _cloud())
    data = json.loads(render(report, DriftFormat.json))
    assert data["exit_code"] == 1 and data["verdict"] == "incomplete (errors)"  # ghost is unreachable
    assert data["hosts"]["hosts"][0]["rack"] == "lab-r01"
    text = render(report, DriftFormat.text, verbose=True)
    assert text.index("rack lab-r01") < text.index("rack lab-r02")
    assert "unreachable" in text and "mtu" in text and "abcdef" not in text


@pytest.mark.parametrize(
    ("unreachable", "cloud", "code"),
    [
        (False, None, 2),
        (True, None, 1),
        (False, CloudDrift(stack="lab"), 2),
        (True, CloudDrift(stack="lab", error="x"), 1),
    ],
)
def test_exit_codes(runner_events: list[dict[str, Any]], unreachable: bool, cloud: CloudDrift | None, code: int):
    events = [e for e in runner_events if unreachable or e["event_data"].get("host") != "ghost"]
    assert _report(events, cloud).exit_code == code
    clean = DriftReport(stack="lab", generated="x", hosts=HostsDrift(), cloud=CloudDrift(stack="lab"))
    assert clean.exit_code == 0


def _without_pulumi() -> dict[str, str]:
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "pulumi").exists())
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return {**env, "PATH": path}


def test_cloud_without_the_pulumi_cli_is_an_error_exit_1():
    """The real command, as a subprocess, with no pulumi on PATH: exit 1 and the documented message."""
    result = subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", "drift", "lab", "--cloud"],
        cwd=REPO,
        env=_without_pulumi(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Pulumi CLI is not installed" in result.stderr and "Traceback" not in result.stderr
    junit = subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", "drift", "lab", "--cloud", "--format", "junit"],
        cwd=REPO,
        env=_without_pulumi(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert junit.returncode == 1
    assert ET.fromstring(junit.stdout).get("errors") == "1"


def test_both_halves_without_the_cli_skip_the_cloud(monkeypatch: pytest.MonkeyPatch):
    """Both halves by default: no CLI skips the cloud half (exit from the hosts half alone). The host half,
    which needs real hosts, is replaced by a clean result here."""
    from sovcloud_infra.cli import app
    from sovcloud_infra.cli import drift as drift_cli

    monkeypatch.setattr(drift_cli, "_hosts_half", lambda *args: HostsDrift())
    for key, value in _without_pulumi().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.delenv("OS_AUTH_URL", raising=False)
    result = CliRunner().invoke(app, ["drift", "lab", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Pulumi CLI is not installed" in result.output
