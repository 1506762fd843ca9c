"""Exceptions raised by the lab runtime.

One hierarchy so that callers (the CLI, the test fixture) can catch ``LabError``
and show the message as is: every message names the thing that failed and,
where one exists, the log file that explains why.
"""

from __future__ import annotations

from pathlib import Path


class LabError(RuntimeError):
    """Anything the lab runtime could not do; the message is meant for humans."""


class LabSpecError(LabError, ValueError):
    """The LabSpec is inconsistent (found before anything is created)."""


class CommandError(LabError):
    """An external command (ip, mount, debootstrap, ...) exited non-zero."""

    def __init__(self, argv: list[str], returncode: int, output: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.output = output
        tail = output.strip()[-2000:]
        super().__init__(f"command failed ({returncode}): {' '.join(argv)}\n{tail}")


class HostBootError(LabError):
    """A host did not become reachable over SSH; points at its console log."""

    def __init__(self, hostname: str, reason: str, console_log: Path) -> None:
        self.hostname = hostname
        self.console_log = console_log
        super().__init__(
            f"host {hostname!r} {reason}; console log: {console_log} "
            "(the lab is left running for inspection: run `down` to remove it)"
        )


class HostBootTimeoutError(HostBootError):
    """The host's SSH did not answer within the timeout given to ``up``."""
