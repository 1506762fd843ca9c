"""Shared fixtures: paths of the repository and its sample stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def stacks_dir() -> Path:
    return REPO / "stacks"
