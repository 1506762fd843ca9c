"""Shared fixtures: paths of the repository and its sample stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Baseline lab tests first, then the host-role tests (they rewire networks and firewalls), then the
    tests that remove a session lab, whatever the file order (stable sort)."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("lab_teardown") is not None,
            item.get_closest_marker("host_roles") is not None,
        )
    )


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def stacks_dir() -> Path:
    return REPO / "stacks"
