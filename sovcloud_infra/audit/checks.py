"""Judge one catalogue check against the evidence the `sovcloud_evidence` module collected on a host.

Each kind compares the effective state with the catalogue's expectation and
keeps what it saw, so a report can show an auditor *why* a control passed or
failed. Missing evidence is a failure, never a pass: a control that could not
be verified is not compliant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sovcloud_infra.hardening.catalogue import (
    Check,
    CmdlineCheck,
    FileCheck,
    FileContentCheck,
    MountCheck,
    PackagesAbsentCheck,
    ScriptCheck,
    ServicesDisabledCheck,
    SshdCheck,
    SysctlCheck,
)

Outcome = Literal["pass", "fail", "not-applicable"]

# The kernel prints hidepid=2 as "invisible" since 5.8; fstab may use either spelling.
_OPTION_ALIASES = {
    "hidepid=0": "hidepid=off",
    "hidepid=1": "hidepid=noaccess",
    "hidepid=2": "hidepid=invisible",
    "hidepid=4": "hidepid=ptraceable",
}


@dataclass
class Verdict:
    status: Outcome
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def evaluate_check(check: Check, evidence: dict[str, Any]) -> Verdict:
    """The verdict of `check` on a host's evidence (the module's `evidence` return value)."""
    if isinstance(check, SysctlCheck):
        return _sysctl(check, evidence)
    if isinstance(check, CmdlineCheck):
        return _cmdline(check, evidence)
    if isinstance(check, MountCheck):
        return _mount(check, evidence)
    if isinstance(check, FileCheck):
        return _file(check, evidence)
    if isinstance(check, PackagesAbsentCheck):
        return _packages(check, evidence)
    if isinstance(check, ServicesDisabledCheck):
        return _services(check, evidence)
    if isinstance(check, SshdCheck):
        return _sshd(check, evidence)
    if isinstance(check, FileContentCheck):
        return _content(check, evidence)
    if isinstance(check, ScriptCheck):
        return _script(check, evidence)
    raise TypeError(f"no evaluator for {type(check).__name__}")


def _missing(kind: str, evidence: dict[str, Any]) -> Verdict:
    errors = [e for e in evidence.get("errors", []) if e.startswith(f"{kind}:")]
    detail = "; ".join(errors) or "the evidence module returned nothing for it"
    return Verdict("fail", f"no {kind} evidence collected ({detail})", {"errors": errors})


def _normalise(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split())


def value_matches(actual: str | None, expected: str) -> bool:
    """Equality after whitespace normalisation; ``>=N`` and ``<=N`` compare integers (e.g. Yama ``>=1``)."""
    if actual is None:
        return False
    actual = _normalise(actual) or ""
    for op in (">=", "<="):
        if expected.startswith(op):
            try:
                number, bound = int(actual), int(expected[2:].strip())
            except ValueError:
                return False
            return number >= bound if op == ">=" else number <= bound
    return actual == _normalise(expected)


# --------------------------------------------------------------------------- sysctl


def _sysctl(check: SysctlCheck, evidence: dict[str, Any]) -> Verdict:
    keys = (evidence.get("sysctl") or {}).get("keys")
    if keys is None or check.key not in keys:
        return _missing("sysctl", evidence)
    data = keys[check.key]
    live, persisted = data.get("live"), data.get("persisted")
    seen = {
        "key": check.key,
        "expected": check.value,
        "live": live,
        "persisted": persisted,
        "persisted_source": data.get("persisted_source"),
        "assignments": data.get("assignments", []),
    }
    live_ok, persisted_ok = value_matches(live, check.value), value_matches(persisted, check.value)
    source = data.get("persisted_source")
    if live_ok and persisted_ok:
        return Verdict("pass", f"{check.key}: live {live}, persisted {persisted} ({source})", seen)
    problems = []
    if live is None:
        problems.append(f"live value unreadable ({data.get('live_error')})")
    elif not live_ok:
        problems.append(f"live {live}")
    if persisted is None:
        problems.append("not persisted in any sysctl file")
    elif not persisted_ok:
        problems.append(f"persisted {persisted} ({source})")
    if live is not None and persisted is not None and _normalise(live) != _normalise(persisted):
        problems.append("live and persisted values drift apart")
    return Verdict("fail", f"{check.key} expected {check.value}: " + ", ".join(problems), seen)


# --------------------------------------------------------------------------- kernel command line


def param_set(params: list[str] | None, param: str) -> bool:
    """Whether `param` is in effect: for ``key=value`` the last occurrence of the key wins (as in the kernel)."""
    if not params:
        return False
    if "=" not in param:
        return param in params
    key = param.split("=", 1)[0]
    same_key = [p for p in params if p.split("=", 1)[0] == key]
    return bool(same_key) and same_key[-1] == param


def _cmdline(check: CmdlineCheck, evidence: dict[str, Any]) -> Verdict:
    data = evidence.get("cmdline")
    if data is None:
        return _missing("cmdline", evidence)
    live = data.get("live")
    grub_default = data.get("grub_default") or {}
    grub_cfg = data.get("grub_cfg") or {}
    seen = {
        "param": check.param,
        "live": live,
        "grub_default_files": grub_default.get("files", []),
        "GRUB_CMDLINE_LINUX": grub_default.get("GRUB_CMDLINE_LINUX"),
        "GRUB_CMDLINE_LINUX_DEFAULT": grub_default.get("GRUB_CMDLINE_LINUX_DEFAULT"),
        "grub_cfg_default_entry": grub_cfg.get("default_params"),
    }
    problems = []
    if live is None:
        problems.append(f"/proc/cmdline unreadable ({data.get('live_error')})")
    elif not param_set(live, check.param):
        problems.append("not on the running kernel's command line")
    if not grub_default.get("files"):
        problems.append("no /etc/default/grub")
    elif not param_set(grub_default.get("params"), check.param):
        problems.append("not in GRUB_CMDLINE_LINUX(_DEFAULT)")
    if not grub_cfg.get("exists"):
        problems.append("no /boot/grub/grub.cfg")
    elif grub_cfg.get("error"):
        problems.append(f"grub.cfg unreadable ({grub_cfg['error']})")
    elif not param_set(grub_cfg.get("default_params"), check.param):
        problems.append("not in grub.cfg's default entry (update-grub not run?)")
    if problems:
        return Verdict("fail", f"{check.param}: " + "; ".join(problems), seen)
    return Verdict("pass", f"{check.param}: live, /etc/default/grub and grub.cfg", seen)


# --------------------------------------------------------------------------- mounts


def _has_option(options: list[str] | None, wanted: str) -> bool:
    if options is None:
        return False
    return wanted in options or _OPTION_ALIASES.get(wanted) in options


def _mount(check: MountCheck, evidence: dict[str, Any]) -> Verdict:
    points = (evidence.get("mounts") or {}).get("mountpoints")
    if points is None or check.mountpoint not in points:
        return _missing("mounts", evidence)
    data = points[check.mountpoint]
    live, fstab, unit = data.get("live"), data.get("fstab"), data.get("unit")
    persisted = fstab or unit
    seen = {
        "mountpoint": check.mountpoint,
        "expected_options": check.options,
        "live": live,
        "fstab": fstab,
        "mount_unit": unit,
    }
    if live is None and persisted is None:
        return Verdict(
            "not-applicable",
            f"{check.mountpoint} is not a separate partition (not in /proc/mounts, /etc/fstab or a mount unit)",
            seen,
        )
    problems = []
    if live is None:
        problems.append("configured but not mounted")
    else:
        missing = [o for o in check.options if not _has_option(live["options"], o)]
        if missing:
            problems.append(f"mounted without {','.join(missing)}")
    if persisted is None:
        problems.append("mounted but not persisted in /etc/fstab or a mount unit")
    else:
        missing = [o for o in check.options if not _has_option(persisted.get("options"), o)]
        if missing:
            where = "/etc/fstab" if fstab else unit.get("path") if unit else "?"
            problems.append(f"{where} lacks {','.join(missing)}")
    if problems:
        return Verdict("fail", f"{check.mountpoint}: " + "; ".join(problems), seen)
    return Verdict("pass", f"{check.mountpoint}: {','.join(check.options)} live and persisted", seen)


# --------------------------------------------------------------------------- files


def mode_exceeds(mode: str, mode_max: str) -> bool:
    """Whether `mode` has a bit (permission or setuid/setgid/sticky) that `mode_max` does not allow."""
    return bool(int(mode, 8) & ~int(mode_max, 8))


def _file(check: FileCheck, evidence: dict[str, Any]) -> Verdict:
    files = evidence.get("files")
    if files is None or any(p not in files for p in check.paths):
        return _missing("files", evidence)
    seen_files = [f for p in check.paths for f in files[p]["files"]]
    expected = f"{check.owner}:{check.group or '*'} at most {check.mode_max}"
    seen = {"paths": check.paths, "expected": expected, "files": seen_files}
    if not seen_files:
        return Verdict("pass", f"no file matches {', '.join(check.paths)}", seen)
    problems = []
    for facts in seen_files:
        if "error" in facts:
            problems.append(f"{facts['path']}: {facts['error']}")
            continue
        wrong = []
        if facts["owner"] != check.owner:
            wrong.append(f"owner {facts['owner']}")
        if check.group is not None and facts["group"] != check.group:
            wrong.append(f"group {facts['group']}")
        if mode_exceeds(facts["mode"], check.mode_max):
            wrong.append(f"mode {facts['mode']}")
        if wrong:
            problems.append(f"{facts['path']}: {', '.join(wrong)}")
    if problems:
        return Verdict("fail", f"expected {expected}: " + "; ".join(problems), seen)
    listing = ", ".join(f"{f['path']} {f['owner']}:{f['group']} {f['mode']}" for f in seen_files[:5])
    more = f" (+{len(seen_files) - 5} more)" if len(seen_files) > 5 else ""
    return Verdict("pass", listing + more, seen)


# --------------------------------------------------------------------------- packages and services


def _packages(check: PackagesAbsentCheck, evidence: dict[str, Any]) -> Verdict:
    data = evidence.get("packages")
    if data is None:
        return _missing("packages", evidence)
    if data.get("error"):
        return _error(data["error"])
    installed = data.get("installed", {})
    if any(p not in installed for p in check.packages):
        return _missing("packages", evidence)
    found = {name: version for p in check.packages for name, version in installed[p].items()}
    seen = {"absent": check.packages, "installed": found}
    if found:
        return Verdict("fail", "installed: " + ", ".join(f"{n} {v}" for n, v in sorted(found.items())), seen)
    return Verdict("pass", "none installed: " + ", ".join(check.packages), seen)


def _error(message: str) -> Verdict:
    return Verdict("fail", f"evidence could not be collected: {message}", {"error": message})


def _services(check: ServicesDisabledCheck, evidence: dict[str, Any]) -> Verdict:
    data = evidence.get("services")
    if data is None:
        return _missing("services", evidence)
    if data.get("error"):
        return _error(data["error"])
    units = data.get("units", {})
    if any(s not in units for s in check.services):
        return _missing("services", evidence)
    seen = {"services": {s: units[s] for s in check.services}}
    bad = []
    for service in check.services:
        unit = units[service]
        states = [w for w, on in (("enabled", unit["enabled"]), ("running", unit["running"])) if on]
        if states:
            bad.append(f"{unit['unit']} {' and '.join(states)}")
    if bad:
        return Verdict("fail", "; ".join(bad), seen)
    return Verdict(
        "pass",
        ", ".join(
            f"{units[s]['unit']} {'absent' if units[s]['load'] == 'not-found' else 'off'}" for s in check.services
        ),
        seen,
    )


# --------------------------------------------------------------------------- sshd


def _sshd(check: SshdCheck, evidence: dict[str, Any]) -> Verdict:
    data = evidence.get("sshd")
    key = check.key.lower()
    if data is None:
        return _missing("sshd", evidence)
    if data.get("error"):
        return _error(data["error"])
    values = data.get("config", {}).get(key)
    seen = {
        "key": key,
        "effective": values,
        "expected": check.value,
        "contains": check.contains,
        "excludes": check.excludes,
    }
    if values is None:
        return Verdict("fail", f"sshd -T does not report {key}", seen)
    joined = " ".join(values)
    tokens = [t for t in re.split(r"[,\s]+", joined.lower()) if t]
    problems = []
    if check.value is not None and _normalise(joined.lower()) != _normalise(check.value.lower()):
        problems.append(f"is {joined!r}, expected {check.value!r}")
    missing = [c for c in check.contains or [] if c.lower() not in tokens]
    if missing:
        problems.append(f"lacks {', '.join(missing)}")
    present = [e for e in check.excludes or [] if e.lower() in tokens]
    if present:
        problems.append(f"has {', '.join(present)}")
    if problems:
        return Verdict("fail", f"sshd {key} " + "; ".join(problems), seen)
    return Verdict("pass", f"sshd {key} {joined}", seen)


# --------------------------------------------------------------------------- file content and scripts


def _content(check: FileContentCheck, evidence: dict[str, Any]) -> Verdict:
    entry = ((evidence.get("content") or {}).get(check.path) or {}).get(check.pattern)
    if entry is None:
        return _missing("content", evidence)
    seen = {
        "path": check.path,
        "pattern": check.pattern,
        "present": check.present,
        "files": entry["files"],
        "matches": entry["matches"],
    }
    if entry["errors"]:
        return Verdict("fail", f"{check.path}: " + "; ".join(entry["errors"]), seen)
    lines = [f"{m['path']}:{m['line']}: {m['text']}" for m in entry["matches"]]
    if check.present:
        if not entry["files"]:
            return Verdict("fail", f"{check.path} does not exist (expected /{check.pattern}/)", seen)
        if not lines:
            return Verdict("fail", f"no line of {check.path} matches /{check.pattern}/", seen)
        return Verdict("pass", lines[0], seen)
    if lines:
        return Verdict("fail", f"{len(lines)} line(s) match /{check.pattern}/: {lines[0]}", seen)
    where = check.path if entry["files"] else f"{check.path} (absent)"
    return Verdict("pass", f"no line of {where} matches /{check.pattern}/", seen)


def _script(check: ScriptCheck, evidence: dict[str, Any]) -> Verdict:
    run = (evidence.get("scripts") or {}).get(check.command)
    if run is None:
        return _missing("scripts", evidence)
    seen = {"command": check.command, "meaning": check.describe, **run}
    if run.get("error"):
        return Verdict("fail", f"check did not complete: {run['error']}", seen)
    if run["rc"] != 0:
        return Verdict("fail", f"check exited {run['rc']}: {run.get('stderr') or 'no message'}", seen)
    count = max(run.get("line_count") or 0, len(run.get("lines") or []))
    if count:
        first = run["lines"][0] if run.get("lines") else ""
        return Verdict("fail", f"{count} line(s), each {check.describe}; first: {first}", seen)
    return Verdict("pass", f"nothing found ({check.describe})", seen)
