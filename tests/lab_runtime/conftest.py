"""Fixtures for the lab runtime tests: a real lab of 3 hosts, always torn down.

The lab is booted once per session (a few seconds once the base image is
cached) under its own name, bridge and subnet, so it never collides with a demo
lab a developer has running. Its state lives in the normal state root, so a run
that was killed is cleaned up by the next run's ``up``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovcloud_infra.lab import LabPaths, down, ensure_base_image, up

from .helpers import HOST_COUNT, LAB_BRIDGE, LAB_NAME, LAB_SUBNET, TIMINGS, BootedLab, lab_spec, require_machine


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.write_line("lab timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items()))


@pytest.fixture(scope="session")
def lab() -> Iterator[BootedLab]:
    """The session's lab: booted once, removed at the end even if tests or ``up`` fail."""
    require_machine()
    started = time.monotonic()
    base = ensure_base_image()
    if base.build_seconds is not None:
        TIMINGS["base image build"] = base.build_seconds
    else:
        TIMINGS["base image (cached)"] = time.monotonic() - started
    ip_forward = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    spec = lab_spec(LAB_NAME, HOST_COUNT, LAB_BRIDGE, LAB_SUBNET)
    try:
        started = time.monotonic()
        st = up(spec, timeout=180)
        TIMINGS["up to all SSH-ready"] = time.monotonic() - started
        yield BootedLab(
            spec=spec,
            status=st,
            paths=LabPaths.for_lab(spec.name),
            ip_forward_before=ip_forward,
            hostnames=[h.hostname for h in spec.hosts],
        )
    finally:
        down(spec.name)  # a no-op when test_down_removes_everything already ran
