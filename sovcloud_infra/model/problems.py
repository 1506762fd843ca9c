"""Problems found in a region description, and how they are reported.

Validation collects every problem before failing, so an SRE fixes a merge
request in one pass instead of one error per CI run. Each problem names the
file and line it comes from and says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


class Location(NamedTuple):
    """A place in a stack file (line numbers start at 1; 0 means "whole file").

    A named tuple rather than a dataclass: one is made per stack object, and a
    10,000-host region has over a hundred thousand of them.
    """

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a region description."""

    code: str
    """Stable identifier of the kind of problem (e.g. ``duplicate-mac``); tests and tools match on it."""
    message: str
    """What is wrong, naming the objects involved."""
    at: Location
    hint: str = ""
    """How to fix it."""
    related: tuple[Location, ...] = field(default=())
    """Other places involved (e.g. the first definition of a duplicate)."""

    def render(self) -> str:
        """Human one-block rendering: ``file:line: error[code]: message`` plus the fix."""
        text = f"{self.at}: error[{self.code}]: {self.message}"
        for other in self.related:
            text += f"\n    see also {other}"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.at.file,
            "line": self.at.line,
            "hint": self.hint,
            "related": [str(r) for r in self.related],
        }


class RegionInvalid(Exception):
    """Raised when a region description has problems; carries all of them."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = sorted(problems, key=lambda p: (p.at.file, p.at.line, p.code, p.message))
        super().__init__(f"stack {stack!r} has {len(self.problems)} problem(s)")


class ProblemSink:
    """Collects problems during loading and validation."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        message: str,
        at: Location,
        hint: str = "",
        related: tuple[Location, ...] = (),
    ) -> None:
        self.problems.append(Problem(code, message, at, hint, related))

    def __bool__(self) -> bool:
        return bool(self.problems)
