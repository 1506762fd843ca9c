"""The broken region corpus: every way an SRE can get a region description wrong.

Each file under ``corpus/`` copies a valid stack (``base``), breaks it with a few
``edits`` and lists the problems validation must report (code, file, line and a
piece of the message). Every case is checked in-process through
``load_region`` and through the real ``sovcloud validate --json`` command, and
every problem it produces must say how to fix it (a non-empty hint).

Case file format::

    description: one line saying what is broken
    base: lab                      # a stack under stacks/, copied to a temporary directory
    edits:                         # applied in order
      - {file: racks/lab-r01.yaml, replace: "position_u: 12", with: "position_u: 11"}  # exactly once
      - {file: networks.yaml, write: "..."}     # whole file (a !!binary value writes raw bytes)
      - {file: tenants.yaml, delete: true}      # file ("." removes the whole stack directory)
    expect:                        # each must be reported (more may be, unless exact: true)
      - {code: rack-units-overlap, file: racks/lab-r01.yaml, line: 26, message: "lab-hv-01"}
    exact: false                   # true: the reported codes are exactly the expected ones
    xfail_reason: ...              # a known bug in the loader (strict: the case fails until fixed)
    xfail_in: [loader, cli]        # which checks the bug breaks: loader, cli, fix (default: loader and cli)

``file`` is relative to the stack directory; ``.`` is the stack directory itself.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sovcloud_infra.model import RegionInvalid, load_region

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = REPO_ROOT / "stacks"
MODEL_SRC = REPO_ROOT / "sovcloud_infra" / "model"
CORPUS = Path(__file__).resolve().parent / "corpus"
TODAY = dt.date(2026, 11, 29)
AS_OF = TODAY.isoformat()
MIN_CASES = 40

_CASE_KEYS = {"description", "base", "edits", "expect", "exact", "xfail_reason", "xfail_in"}
_EXPECT_KEYS = {"code", "file", "line", "message"}
_PROBLEM_KEYS = {"code", "message", "file", "line", "hint", "related"}
_NAME_RE = re.compile(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$")


# --------------------------------------------------------------------------- #
# Cases
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Expected:
    code: str
    file: str
    line: int
    message: str


@dataclass
class Case:
    path: Path
    description: str
    base: str
    edits: list[dict[str, Any]]
    expect: list[Expected]
    exact: bool = False
    xfail_reason: str | None = None
    xfail_in: tuple[str, ...] = ("loader", "cli")

    @property
    def id(self) -> str:
        return self.path.stem

    def xfail_marks(self, check: str) -> list[pytest.MarkDecorator]:
        if self.xfail_reason and check in self.xfail_in:
            return [pytest.mark.xfail(reason=self.xfail_reason, strict=True)]
        return []


def _load_case(path: Path) -> Case:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict), f"{path.name}: a case is a mapping"
    unknown = set(raw) - _CASE_KEYS
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}"
    expect = []
    for item in raw.get("expect") or []:
        assert set(item) == _EXPECT_KEYS, f"{path.name}: an expectation needs exactly {sorted(_EXPECT_KEYS)}: {item}"
        expect.append(Expected(str(item["code"]), str(item["file"]), int(item["line"]), str(item["message"])))
    return Case(
        path=path,
        description=str(raw.get("description", "")),
        base=str(raw.get("base", "")),
        edits=list(raw.get("edits") or []),
        expect=expect,
        exact=bool(raw.get("exact", False)),
        xfail_reason=raw.get("xfail_reason"),
        xfail_in=tuple(raw.get("xfail_in") or ("loader", "cli")),
    )


CASES = [_load_case(p) for p in sorted(CORPUS.glob("*.yaml"))]


def _params(check: str) -> list[Any]:
    return [pytest.param(c, id=c.id, marks=c.xfail_marks(check)) for c in CASES]


def build_stack(case: Case, tmp_path: Path) -> Path:
    """Copy the case's base stack into `tmp_path` and apply its edits; return the stack directory."""
    stack = tmp_path / case.base
    shutil.copytree(STACKS / case.base, stack)
    for number, edit in enumerate(case.edits, start=1):
        where = f"{case.path.name} edit {number}"
        target = stack / edit["file"]
        ops = {"replace", "write", "delete"} & set(edit)
        assert len(ops) == 1, f"{where}: give exactly one of replace/write/delete"
        if "replace" in edit:
            assert set(edit) == {"file", "replace", "with"}, f"{where}: replace needs 'with'"
            text = target.read_text(encoding="utf-8")
            count = text.count(edit["replace"])
            assert count == 1, f"{where}: {edit['replace']!r} occurs {count} times in {edit['file']}, not once"
            target.write_text(text.replace(edit["replace"], str(edit["with"])), encoding="utf-8")
        elif "write" in edit:
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(edit["write"], bytes):
                target.write_bytes(edit["write"])
            else:
                target.write_text(str(edit["write"]), encoding="utf-8")
        else:
            assert edit["delete"] is True, f"{where}: delete: true"
            if target.resolve() == stack.resolve():
                shutil.rmtree(stack)
            else:
                target.unlink()
    return stack


def _relative(file: str, stack: Path, cwd: Path) -> str:
    """A problem's file as shown, made relative to the stack directory ("." for the directory itself)."""
    path = Path(file)
    if not path.is_absolute():
        path = cwd / path
    try:
        rel = path.resolve().relative_to(stack.resolve())
    except ValueError:
        return file
    return rel.as_posix() if rel.parts else "."


@dataclass(frozen=True)
class Reported:
    code: str
    file: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.code}] {self.message}"


def check_reported(case: Case, reported: list[Reported]) -> None:
    """Every expected problem is reported; with exact: true, no other kind of problem."""
    listing = "\n".join(f"  {r}" for r in reported) or "  (nothing)"
    for exp in case.expect:
        hits = [
            r
            for r in reported
            if r.code == exp.code and r.file == exp.file and r.line == exp.line and exp.message in r.message
        ]
        assert hits, (
            f"{case.id}: expected {exp.code} at {exp.file}:{exp.line} with {exp.message!r}; reported:\n{listing}"
        )
    if case.exact:
        assert {r.code for r in reported} == {e.code for e in case.expect}, (
            f"{case.id}: exact: the codes reported differ from the expected ones; reported:\n{listing}"
        )


# --------------------------------------------------------------------------- #
# The corpus, in-process and through the CLI
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("case", _params("loader"))
def test_loader_reports(case: Case, tmp_path: Path) -> None:
    stack = build_stack(case, tmp_path)
    with pytest.raises(RegionInvalid) as caught:
        load_region(stack, today=TODAY)
    cwd = Path.cwd()
    reported = [
        Reported(p.code, _relative(p.at.file, stack, cwd), p.at.line, p.message, p.hint) for p in caught.value.problems
    ]
    check_reported(case, reported)


@pytest.mark.parametrize("case", _params("fix"))
def test_every_problem_says_how_to_fix_it(case: Case, tmp_path: Path) -> None:
    """Human output prints each problem's hint as its ``fix:`` line; none may be empty."""
    stack = build_stack(case, tmp_path)
    try:
        load_region(stack, today=TODAY)
    except RegionInvalid as exc:
        without = [f"{p.at}: [{p.code}] {p.message}" for p in exc.problems if not p.hint.strip()]
        assert not without, "problems without a fix (empty hint):\n" + "\n".join(without)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", "validate", *args, "--as-of", AS_OF],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="session")
def cli_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """``sovcloud validate --json`` on each selected case, a few at a time (a run is mostly interpreter start-up)."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_cli_reports"
    }
    cases = [c for c in CASES if c.id in selected]

    def run(case: Case) -> tuple[Path, Any]:
        try:
            stack = build_stack(case, tmp_path_factory.mktemp(case.id))
        except Exception as exc:  # noqa: BLE001 - re-raised in the case's own test
            return Path(), exc
        return stack, run_cli(str(stack), "--json")

    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2)) as pool:
        return dict(zip([c.id for c in cases], pool.map(run, cases), strict=True))


@pytest.mark.parametrize("case", _params("cli"))
def test_cli_reports(case: Case, cli_runs: dict[str, tuple[Path, Any]]) -> None:
    stack, result = cli_runs[case.id]
    if isinstance(result, Exception):
        raise result
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON ({exc}):\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}") from None
    assert data["valid"] is False
    assert data["problems"], "invalid but no problems listed"
    for problem in data["problems"]:
        assert set(problem) == _PROBLEM_KEYS, f"problem keys {sorted(problem)} != {sorted(_PROBLEM_KEYS)}"
    reported = [
        Reported(p["code"], _relative(p["file"], stack, REPO_ROOT), p["line"], p["message"], p["hint"])
        for p in data["problems"]
    ]
    check_reported(case, reported)


_HUMAN_PROBLEM = re.compile(r"^(?P<file>\S.*?)(?::(?P<line>\d+))?: error\[(?P<code>[a-z0-9-]+)\]: \S.*$")


def test_cli_human_output(tmp_path: Path) -> None:
    """Human mode: each problem is ``FILE:LINE: error[CODE]: message``, then optional see-also lines and a fix."""
    case = next(c for c in CASES if "several-problems" in c.id)
    stack = build_stack(case, tmp_path)
    as_json = json.loads(run_cli(str(stack), "--json").stdout)["problems"]
    result = run_cli(str(stack))
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == f"stack '{stack}' is invalid: {len(as_json)} problem(s)"
    seen = []
    i = 0
    while i < len(lines) - 1:
        match = _HUMAN_PROBLEM.match(lines[i])
        assert match, f"not a problem line: {lines[i]!r}\n{result.stderr}"
        i += 1
        while lines[i].startswith("    see also "):
            i += 1
        assert lines[i].startswith("    fix: ") and len(lines[i]) > len("    fix: "), f"no fix line after {match[0]!r}"
        i += 1
        seen.append((match["file"], int(match["line"] or 0), match["code"]))
    assert seen == [(p["file"], p["line"], p["code"]) for p in as_json]
    assert all(line > 0 for _, line, _ in seen)


# --------------------------------------------------------------------------- #
# The corpus itself
# --------------------------------------------------------------------------- #


def emitted_codes() -> set[str]:
    """Problem codes in the model's source: the literal first argument of ``sink.add(...)``/``self.sink.add(...)``,
    and a literal code passed right after ``sink`` to a helper (``_unique(sink, "duplicate-mac", ...)``)."""
    codes: set[str] = set()
    for path in sorted(MODEL_SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_add = isinstance(func, ast.Attribute) and func.attr == "add" and _is_sink(func.value)
            if is_add and node.args and _is_str(node.args[0]):
                codes.add(node.args[0].value)  # type: ignore[attr-defined]
            for before, arg in zip(node.args, node.args[1:], strict=False):
                if _is_sink(before) and _is_str(arg):
                    codes.add(arg.value)  # type: ignore[attr-defined]
    return codes


def _is_sink(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "sink") or (
        isinstance(node, ast.Attribute) and node.attr == "sink"
    )


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def test_corpus_covers_every_problem_code() -> None:
    codes = emitted_codes()
    assert len(codes) >= 30, f"the source scan found only {sorted(codes)}: has the reporting API changed?"
    expected = {e.code for c in CASES for e in c.expect}
    verified = {e.code for c in CASES if not (c.xfail_reason and "loader" in c.xfail_in) for e in c.expect}
    missing = sorted(codes - verified)
    assert not missing, f"no corpus case (that is not an expected failure) expects these problem codes: {missing}"
    unknown = sorted(expected - codes)
    assert not unknown, f"corpus cases expect codes the source never emits: {unknown}"


def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} corpus cases"
    numbers = [c.path.name[:2] for c in CASES]
    assert len(set(numbers)) == len(numbers), "two cases share a number"
    for case in CASES:
        assert _NAME_RE.match(case.path.name), f"{case.path.name}: name it NN-short-name.yaml"
        assert case.description and "\n" not in case.description.strip(), f"{case.id}: one-line description"
        assert (STACKS / case.base).is_dir(), f"{case.id}: unknown base stack {case.base!r}"
        assert case.edits, f"{case.id}: no edits"
        assert case.expect, f"{case.id}: no expected problem"
        assert set(case.xfail_in) <= {"loader", "cli", "fix"}, f"{case.id}: xfail_in: loader, cli and/or fix"
        for exp in case.expect:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", exp.code), f"{case.id}: bad code {exp.code!r}"
            assert exp.message, f"{case.id}: give a message substring for {exp.code}"


# --------------------------------------------------------------------------- #
# Valid stacks
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("stack", ["lab", "fr-par-1"])
def test_shipped_stacks_are_valid(stack: str) -> None:
    result = run_cli(str(STACKS / stack), "--json")
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["problems"] == []


def test_country_no_is_norway_not_false(tmp_path: Path) -> None:
    """``country: NO`` unquoted is Norway: a valid region once Norway is an allowed jurisdiction."""
    stack = tmp_path / "lab"
    shutil.copytree(STACKS / "lab", stack)
    region_file = stack / "region.yaml"
    text = region_file.read_text(encoding="utf-8")
    text = text.replace("country: FR", "country: NO").replace("jurisdictions: [FR]", "jurisdictions: [FR, NO]")
    region_file.write_text(text, encoding="utf-8")
    region = load_region(stack, today=TODAY)
    assert region.datacenters[0].country == "NO"
    assert region.info.allowed_jurisdictions == ["FR", "NO"]


def test_waiver_expiring_today_is_still_valid(tmp_path: Path) -> None:
    stack = tmp_path / "lab"
    shutil.copytree(STACKS / "lab", stack)
    hardening = stack / "hardening.yaml"
    hardening.write_text(hardening.read_text(encoding="utf-8").replace("2027-11-30", AS_OF), encoding="utf-8")
    load_region(stack, today=TODAY)
    with pytest.raises(RegionInvalid) as caught:
        load_region(stack, today=TODAY + dt.timedelta(days=1))
    assert {p.code for p in caught.value.problems} == {"waiver-expired"}
