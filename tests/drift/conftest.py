"""Recorded ansible-runner events and a small catalogue for the drift tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURE = FIXTURES / "capture"


@pytest.fixture
def runner_events() -> list[dict[str, Any]]:
    """Events ansible-runner 2.4 really emitted for fixtures/capture/play.yml in check and diff mode
    (run_playbook against localhost with connection=local, and 'ghost', an SSH host on a closed port):
    a copy that would change a file, a no_log copy, an ignored failure, a skipped task, an unreachable host."""
    text = (FIXTURES / "runner_events.json").read_text().replace("@CAPTURE@", str(CAPTURE))
    return json.loads(text)
