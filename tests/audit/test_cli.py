"""`sovcloud audit` as a user runs it, on its error paths: a message and exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from .conftest import CATALOGUE_FILE

REPO = Path(__file__).resolve().parents[2]


def sovcloud(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr, result.stderr


def test_help_lists_the_options():
    result = sovcloud("audit", "--help")
    assert result.returncode == 0
    for option in ("--limit", "--format", "--output", "--inventory"):
        assert option in result.stdout


def test_an_unknown_stack_is_an_error():
    assert_clean_error(sovcloud("audit", "no-such-stack"), "no stack directory")


def test_a_missing_catalogue_is_an_error(tmp_path: Path):
    assert_clean_error(sovcloud("audit", "lab", "--catalogue", str(tmp_path / "none.yaml")), "no control catalogue at")


def test_an_invalid_catalogue_is_an_error(tmp_path: Path):
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("version: 1\nsources: []\nrecommendations: [{id: R1, title: x}]\n")
    assert_clean_error(sovcloud("audit", "lab", "--catalogue", str(bad)), "is invalid")


def test_a_missing_inventory_is_an_error(tmp_path: Path):
    result = sovcloud("audit", "lab", "--catalogue", str(CATALOGUE_FILE), "--inventory", str(tmp_path / "nope"))
    assert_clean_error(result, "no inventory at")


@pytest.fixture
def unreachable_inventory(tmp_path: Path) -> Path:
    """One host where nothing listens: SSH is refused at once."""
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    host = {
        "ansible_host": "127.0.0.1",
        "ansible_port": 1,
        "ansible_user": "nobody",
        "sovcloud_hardening_level": "intermediary",
        "sovcloud_host_groups": [],
        "sovcloud_waivers": [],
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"ghost-01": host}}}))
    return inventory


def test_an_unreachable_host_is_an_error_reported_in_every_format(unreachable_inventory: Path, tmp_path: Path):
    base = ["audit", "lab", "--catalogue", str(CATALOGUE_FILE), "--inventory", str(unreachable_inventory)]
    text = sovcloud(*base)
    assert_clean_error(text, "ghost-01", "unreachable")
    assert "ghost-01" in text.stdout and "incomplete (errors)" in text.stdout
    junit = tmp_path / "audit.xml"
    result = sovcloud(*base, "--format", "junit", "--output", str(junit))
    assert_clean_error(result, "junit report written to")
    error = ET.parse(junit).getroot().find("testsuite[@name='ghost-01']/testcase/error")
    assert error is not None and error.get("type") == "unreachable"


def test_a_limit_that_matches_no_host_is_an_error(unreachable_inventory: Path):
    result = sovcloud(
        "audit",
        "lab",
        "--catalogue",
        str(CATALOGUE_FILE),
        "--inventory",
        str(unreachable_inventory),
        "--limit",
        "nothing-here",
        "--format",
        "json",
    )
    assert_clean_error(result, "failed before reaching any host", "no hosts to target")
    assert "\x1b[" not in result.stderr
