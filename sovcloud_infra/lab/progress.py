"""Progress reporting from the runtime to whatever front end drives it.

The runtime never prints: long steps (the base image build takes minutes) report
through a plain callback, so the CLI can drive a rich status line, the tests can
log, and a library caller can ignore it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """One step of ``up``/``down``.

    ``stage`` is a stable machine-readable word (``base-image``, ``network``,
    ``mirror``, ``rootfs``, ``boot``, ``ssh``, ``down``); ``message`` is for humans.
    ``current``/``total`` are set when the stage can count its work.
    """

    stage: str
    message: str
    current: int | None = None
    total: int | None = None


ProgressCallback = Callable[[ProgressEvent], None]


class Reporter:
    """Wraps an optional callback so callers need no ``if progress`` everywhere."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback

    def __call__(
        self,
        stage: str,
        message: str,
        current: int | None = None,
        total: int | None = None,
    ) -> None:
        if self._callback is not None:
            self._callback(ProgressEvent(stage, message, current, total))
