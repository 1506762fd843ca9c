"""The SDK mock runtime for every test of the cloud components.

The mocks are installed here, at import, before any module that imports
``pulumi_openstack`` components: set_mocks must precede the program, and
there is one mock (one recording monitor) per test session. Tests build
components inside ``@pulumi.runtime.test`` functions and clear the record
first, so each sees only its own registrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sovcloud_infra.cloud import mocks

MONITOR = mocks.install(project="sovcloud", stack="test")

from sovcloud_infra.model import Region, load_region  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def monitor() -> Iterator[mocks.RecordingMonitor]:
    MONITOR.clear()
    yield MONITOR
    MONITOR.clear()


@pytest.fixture(scope="session")
def lab() -> Region:
    return load_region(REPO / "stacks" / "lab")


@pytest.fixture(scope="session")
def fr_par_1() -> Region:
    return load_region(REPO / "stacks" / "fr-par-1")
