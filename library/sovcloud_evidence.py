#!/usr/bin/python
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports.
"""Ansible module: collect, read-only and in one Python run, the evidence the hardening audit needs.

The audit judges the *effective* state of a host (live kernel values and the
configuration that will be applied at the next boot, the sshd configuration
sshd itself computes, the modes files really have), not what Ansible's check
mode predicts. Everything is gathered in a single module run per host so the
audit costs one SSH round trip, and nothing is ever written: the module
reports ``changed=False`` in every mode and supports check mode.

Evaluation (pass/fail, waivers, not-applicable) happens on the controller in
``sovcloud_infra.audit``; this module only reports facts.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: sovcloud_evidence
short_description: Collect read-only evidence for the sovcloud hardening audit
description:
  - Gathers, in one run on the host, what the hardening catalogue's checks need - live and persisted
    sysctl values, kernel command line and GRUB configuration, mounts and fstab, owner/group/mode of files,
    installed packages, enabled and active services, the effective sshd configuration, regular-expression
    matches in files, and the output of read-only shell checks - plus container detection.
  - Never changes the host; supports check mode and always reports C(changed=false).
options:
  checks:
    description:
      - The checks to collect evidence for, each C({id, check, skip_in_container}), where C(check) is a
        catalogue check (C(kind) plus its parameters).
      - Exactly one of O(checks) and O(checks_b64) is required.
    type: list
    elements: dict
  checks_b64:
    description:
      - The same list, as base64-encoded JSON. Used by the audit playbook because Ansible templates
        strings in extra variables, and shell checks may contain Jinja-like text such as C(${#x}).
    type: str
  context:
    description: Data returned unchanged (the host's level, groups and waivers, as Ansible saw them).
    type: dict
    default: {}
  script_timeout:
    description: Seconds after which a script check is stopped and reported as an error.
    type: int
    default: 300
author: sovcloud-infra SRE team
"""

EXAMPLES = r"""
- name: Collect evidence for two checks
  sovcloud_evidence:
    checks:
      - id: R12.rp_filter_all
        check: {kind: sysctl, key: net.ipv4.conf.all.rp_filter, value: "1"}
      - id: SSH-R3.root_login
        check: {kind: sshd, key: permitrootlogin, value: "no"}
  register: evidence
"""

RETURN = r"""
evidence:
  description: Facts per kind (sysctl, cmdline, mounts, files, packages, services, sshd, content, scripts, virt).
  returned: always
  type: dict
context:
  description: The O(context) option, unchanged.
  returned: always
  type: dict
seconds:
  description: Time spent collecting.
  returned: always
  type: float
"""

import base64
import fnmatch
import grp
import json
import os
import pwd
import re
import shlex
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule  # type: ignore[import-untyped]

SCHEMA = 1
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
GRUB_DEFAULT = "/etc/default/grub"
GRUB_CFG = "/boot/grub/grub.cfg"
MAX_MATCHES = 20
MAX_LINES = 100
MAX_TEXT = 300
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_GLOB_MATCHES = 500
SCRIPT_WORKERS = 4
# Password hashes must never reach the audit report, whatever a pattern or a script prints.
_HASH = re.compile(r"\$(?:y|gy|7|1|2[abxy]?|5|6|md5|sha1)\$[^\s:]+")
_ENABLED_STATES = {"enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "indirect", "generated"}
_RUNNING_STATES = {"active", "activating", "reloading", "deactivating"}
_UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".mount", ".target", ".automount", ".swap")


def _text(value: str) -> str:
    """A line fit for a report: no password hash, bounded length."""
    value = _HASH.sub("$<redacted>", value.rstrip("\n"))
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "..."


def _read(path: str, limit: int = MAX_FILE_BYTES) -> str:
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        return handle.read(limit)


def _has_magic(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def expand_glob(pattern: str) -> list[str]:
    """The sorted paths an absolute glob matches (hidden files included: they count for modes too)."""
    relative = pattern.lstrip("/")
    return sorted(str(p) for p in Path("/").glob(relative)) if relative else []


def _lexists(path: str) -> bool:
    return Path(path).exists() or Path(path).is_symlink()


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- virtualisation


def collect_virt(module: AnsibleModule) -> dict[str, Any]:
    """Container detection as systemd does it, with the files it relies on as a fallback."""
    result: dict[str, Any] = {"container": False, "type": "none", "vm": "none", "source": None}
    tool = module.get_bin_path("systemd-detect-virt")
    if tool:
        rc, out, _ = module.run_command([tool, "--container"])
        name = out.strip()
        if rc == 0 and name and name != "none":
            result.update(container=True, type=name, source="systemd-detect-virt --container")
        rc, out, _ = module.run_command([tool, "--vm"])
        if rc == 0 and out.strip():
            result["vm"] = out.strip()
    if not result["container"]:
        for path in ("/run/systemd/container", "/run/container_type"):
            try:
                name = _read(path).strip()
            except OSError:
                continue
            if name:
                result.update(container=True, type=name, source=path)
                break
    return result


# --------------------------------------------------------------------------- sysctl


def _swap_separators(key: str) -> str:
    return key.translate(str.maketrans("./", "/."))


def normalise_sysctl_key(key: str) -> str:
    """`net/ipv4/ip_forward` and `net.ipv4.ip_forward` name the same key (sysctl.d(5))."""
    key = key.strip()
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        key = _swap_separators(key)
    return key


def normalise_value(value: str) -> str:
    """Kernel values print with tabs (`32768\t60999`); files use spaces."""
    return " ".join(value.split())


def sysctl_files() -> list[str]:
    """Files in the order systemd-sysctl applies them (a name in an earlier directory masks later ones).

    procps' `sysctl --system` also reads /etc/sysctl.conf last; Debian links it as
    /etc/sysctl.d/99-sysctl.conf, and it is added at the end when it is not linked.
    """
    chosen: dict[str, str] = {}
    for directory in SYSCTL_DIRS:
        for path in sorted(Path(directory).glob("*.conf")):
            chosen.setdefault(path.name, str(path))
    files = [chosen[name] for name in sorted(chosen)]
    seen = {str(Path(p).resolve()) for p in files}
    legacy = Path("/etc/sysctl.conf")
    if legacy.is_file() and str(legacy.resolve()) not in seen:
        files.append(str(legacy))
    return files


def parse_sysctl_files(files: list[str]) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    """Every assignment (file, line, key, value, glob), glob exclusions, and unreadable files."""
    assignments: list[dict[str, Any]] = []
    excluded: set[str] = set()
    errors: list[str] = []
    for path in files:
        try:
            lines = _read(path).splitlines()
        except OSError as exc:
            errors.append(f"{path}: {_error(exc)}")
            continue
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("-"):
                line = line[1:]
                if "=" not in line:
                    excluded.add(normalise_sysctl_key(line))
                    continue
            if "=" not in line:
                continue
            key, value = line.split("=", 1)
            key = normalise_sysctl_key(key)
            assignments.append(
                {
                    "file": path,
                    "line": number,
                    "key": key,
                    "value": normalise_value(value),
                    "glob": any(c in key for c in "*?["),
                }
            )
    return assignments, excluded, errors


def persisted_sysctl(key: str, assignments: list[dict[str, Any]], excluded: set[str]) -> dict[str, Any]:
    """The value systemd-sysctl would set at boot: the last explicit assignment, else the last matching glob."""
    explicit = [a for a in assignments if not a["glob"] and a["key"] == key]
    globs = [a for a in assignments if a["glob"] and fnmatch.fnmatchcase(key, a["key"])]
    relevant = explicit or ([] if key in excluded else globs)
    winner = relevant[-1] if relevant else None
    return {
        "value": winner["value"] if winner else None,
        "source": f"{winner['file']}:{winner['line']}" if winner else None,
        "assignments": [f"{a['file']}:{a['line']}: {a['key']} = {a['value']}" for a in explicit + globs],
    }


def live_sysctl(key: str) -> dict[str, Any]:
    path = "/proc/sys/" + _swap_separators(key)
    try:
        # /proc/sys refuses reads of the default 5 MiB buffer (ENOMEM): values are short.
        return {"value": normalise_value(_read(path, limit=16384)), "error": None}
    except FileNotFoundError:
        return {"value": None, "error": "no such kernel parameter"}
    except OSError as exc:
        return {"value": None, "error": _error(exc)}


def collect_sysctl(keys: list[str]) -> dict[str, Any]:
    files = sysctl_files()
    assignments, excluded, errors = parse_sysctl_files(files)
    values = {}
    for requested in keys:
        key = normalise_sysctl_key(requested)
        live = live_sysctl(key)
        persisted = persisted_sysctl(key, assignments, excluded)
        values[requested] = {
            "live": live["value"],
            "live_error": live["error"],
            "persisted": persisted["value"],
            "persisted_source": persisted["source"],
            "assignments": persisted["assignments"],
        }
    return {"files": files, "errors": errors, "keys": values}


# --------------------------------------------------------------------------- kernel command line


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def parse_grub_default(paths: list[str]) -> dict[str, Any]:
    """GRUB_CMDLINE_LINUX(_DEFAULT) as grub-mkconfig would compute them (simple shell assignments only)."""
    env: dict[str, str] = {}
    read: list[str] = []
    errors: list[str] = []
    pattern = re.compile(r"^\s*(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$")
    for path in paths:
        try:
            lines = _read(path).splitlines()
        except OSError as exc:
            errors.append(f"{path}: {_error(exc)}")
            continue
        read.append(path)
        for line in lines:
            match = pattern.match(line)
            if not match:
                continue
            try:
                words = shlex.split(_expand(match.group(2), env), comments=True)
            except ValueError as exc:
                errors.append(f"{path}: {_error(exc)}")
                continue
            env[match.group(1)] = " ".join(" ".join(words).split())
    linux = env.get("GRUB_CMDLINE_LINUX", "")
    default = env.get("GRUB_CMDLINE_LINUX_DEFAULT", "")
    return {
        "files": read,
        "errors": errors,
        "GRUB_CMDLINE_LINUX": linux,
        "GRUB_CMDLINE_LINUX_DEFAULT": default,
        "params": (linux + " " + default).split(),
    }


def parse_grub_cfg(path: str) -> dict[str, Any]:
    """Parameters of the `linux` lines of grub.cfg; the first one is the default entry's."""
    try:
        text = _read(path)
    except FileNotFoundError:
        return {"exists": False, "entries": [], "default_params": None, "error": None}
    except OSError as exc:
        return {"exists": True, "entries": [], "default_params": None, "error": _error(exc)}
    entries = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("linux", "linux16", "linuxefi"):
            entries.append(words[2:])
    return {"exists": True, "entries": entries, "default_params": entries[0] if entries else None, "error": None}


def collect_cmdline() -> dict[str, Any]:
    try:
        live: list[str] | None = _read("/proc/cmdline").split()
        live_error = None
    except OSError as exc:
        live, live_error = None, _error(exc)
    defaults = [GRUB_DEFAULT] if Path(GRUB_DEFAULT).exists() else []
    defaults += expand_glob("/etc/default/grub.d/*.cfg")
    return {
        "live": live,
        "live_error": live_error,
        "grub_default": parse_grub_default(defaults),
        "grub_cfg": parse_grub_cfg(GRUB_CFG),
    }


# --------------------------------------------------------------------------- mounts


def _unescape_mount(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mount_table(text: str) -> dict[str, dict[str, Any]]:
    """mount point -> {device, fstype, options}; the last line wins (the mount on top)."""
    table: dict[str, dict[str, Any]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 4:
            continue
        mountpoint = _unescape_mount(fields[1])
        if len(mountpoint) > 1:
            mountpoint = mountpoint.rstrip("/")
        table[mountpoint] = {"device": _unescape_mount(fields[0]), "fstype": fields[2], "options": fields[3].split(",")}
    return table


def mount_unit_name(mountpoint: str) -> str:
    """systemd-escape --path --suffix=mount, for the characters mount points use."""
    path = mountpoint.strip("/")
    if not path:
        return "-.mount"
    escaped = "".join(c if c.isalnum() or c in "_./" else f"\\x{ord(c):02x}" for c in path)
    return escaped.replace("/", "-") + ".mount"


def mount_unit(mountpoint: str) -> dict[str, Any] | None:
    name = mount_unit_name(mountpoint)
    for directory in UNIT_DIRS:
        path = str(Path(directory) / name)
        if not Path(path).is_file():
            continue
        options: list[str] = []
        try:
            for line in _read(path).splitlines():
                if line.strip().startswith("Options="):
                    options = line.split("=", 1)[1].strip().split(",")
        except OSError as exc:
            return {"path": path, "options": None, "error": _error(exc)}
        return {"path": path, "options": options, "error": None}
    return None


def collect_mounts(mountpoints: list[str]) -> dict[str, Any]:
    errors = []
    live: dict[str, dict[str, Any]] = {}
    fstab: dict[str, dict[str, Any]] = {}
    try:
        live = parse_mount_table(_read("/proc/mounts"))
    except OSError as exc:
        errors.append(f"/proc/mounts: {_error(exc)}")
    try:
        fstab = parse_mount_table(_read("/etc/fstab"))
    except FileNotFoundError:
        pass
    except OSError as exc:
        errors.append(f"/etc/fstab: {_error(exc)}")
    points = {}
    for point in mountpoints:
        key = point.rstrip("/") or "/"
        points[point] = {"live": live.get(key), "fstab": fstab.get(key), "unit": mount_unit(key)}
    return {"errors": errors, "mountpoints": points}


# --------------------------------------------------------------------------- files


def _name(lookup: Any, ident: int) -> str:
    try:
        return str(lookup(ident)[0])
    except KeyError:
        return str(ident)


def file_facts(path: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"path": path}
    try:
        info = Path(path).lstat()
        if stat.S_ISLNK(info.st_mode):
            facts["link_to"] = str(Path(path).readlink())
            info = Path(path).stat()
    except OSError as exc:
        facts["error"] = _error(exc)
        return facts
    facts.update(
        owner=_name(pwd.getpwuid, info.st_uid),
        group=_name(grp.getgrgid, info.st_gid),
        mode=f"{stat.S_IMODE(info.st_mode):04o}",
        type="directory" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other",
    )
    return facts


def collect_files(patterns: list[str]) -> dict[str, Any]:
    result = {}
    for pattern in patterns:
        matches = expand_glob(pattern) if _has_magic(pattern) else ([pattern] if _lexists(pattern) else [])
        result[pattern] = {
            "files": [file_facts(p) for p in matches[:MAX_GLOB_MATCHES]],
            "truncated": len(matches) > MAX_GLOB_MATCHES,
        }
    return result


# --------------------------------------------------------------------------- packages


def parse_dpkg_status(text: str) -> dict[str, str]:
    """Installed package -> version (a package removed but with its config files left is not installed)."""
    installed: dict[str, str] = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        name, state = fields.get("Package"), fields.get("Status", "").split()
        if name and len(state) == 3 and state[2] not in ("not-installed", "config-files"):
            installed[name] = fields.get("Version", "?")
    return installed


def collect_packages(patterns: list[str]) -> dict[str, Any]:
    try:
        installed = parse_dpkg_status(_read("/var/lib/dpkg/status", limit=-1))
    except OSError as exc:
        return {"error": _error(exc), "installed": {}}
    return {
        "error": None,
        "installed": {p: {n: v for n, v in installed.items() if fnmatch.fnmatchcase(n, p)} for p in patterns},
    }


# --------------------------------------------------------------------------- services


def unit_name(service: str) -> str:
    return service if service.endswith(_UNIT_SUFFIXES) else f"{service}.service"


def collect_services(module: AnsibleModule, services: list[str]) -> dict[str, Any]:
    """One `systemctl show` for every unit: load, active and unit-file state."""
    if not services:
        return {"error": None, "units": {}}
    tool = module.get_bin_path("systemctl")
    if not tool:
        return {"error": "systemctl not found", "units": {}}
    units = [unit_name(s) for s in services]
    props = "Id,LoadState,ActiveState,SubState,UnitFileState"
    rc, out, err = module.run_command([tool, "show", f"--property={props}", "--no-pager", "--", *units])
    if rc != 0:
        return {"error": f"systemctl show failed (rc={rc}): {_text(err)}", "units": {}}
    blocks = out.strip().split("\n\n")
    result: dict[str, Any] = {}
    for service, unit, block in zip(services, units, blocks, strict=False):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        result[service] = {
            "unit": unit,
            "load": fields.get("LoadState", ""),
            "active": fields.get("ActiveState", ""),
            "sub": fields.get("SubState", ""),
            "unit_file": fields.get("UnitFileState", ""),
            "enabled": fields.get("UnitFileState", "") in _ENABLED_STATES,
            "running": fields.get("ActiveState", "") in _RUNNING_STATES,
        }
    return {"error": None, "units": result}


# --------------------------------------------------------------------------- sshd


def collect_sshd(module: AnsibleModule, keys: list[str]) -> dict[str, Any]:
    """The configuration sshd computes from all its files (`sshd -T`), for the keys asked."""
    tool = module.get_bin_path("sshd", opt_dirs=["/usr/sbin", "/sbin"])
    if not tool:
        return {"error": "sshd not found", "config": {}}
    rc, out, err = module.run_command([tool, "-T"])
    if rc != 0:
        return {"error": f"sshd -T failed (rc={rc}): {_text(err)}", "config": {}}
    config: dict[str, list[str]] = {}
    for line in out.splitlines():
        words = line.split(None, 1)
        if words:
            config.setdefault(words[0].lower(), []).append(words[1] if len(words) > 1 else "")
    return {"error": None, "config": {k: config.get(k.lower()) for k in keys}}


# --------------------------------------------------------------------------- file content


def collect_content(requests: list[tuple[str, str]]) -> dict[str, Any]:
    """For (path or glob, regex) pairs: the files read and the matching lines (redacted)."""
    result: dict[str, dict[str, Any]] = {}
    texts: dict[str, str | None] = {}
    for path_pattern, pattern in requests:
        paths = expand_glob(path_pattern) if _has_magic(path_pattern) else [path_pattern]
        entry: dict[str, Any] = {"files": [], "matches": [], "errors": []}
        try:
            regex = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            entry["errors"].append(f"invalid pattern: {exc}")
            result.setdefault(path_pattern, {})[pattern] = entry
            continue
        for path in paths:
            if path not in texts:
                try:
                    texts[path] = _read(path)
                except FileNotFoundError:
                    texts[path] = None
                except OSError as exc:
                    entry["errors"].append(f"{path}: {_error(exc)}")
                    continue
            text = texts[path]
            if text is None:
                continue
            entry["files"].append(path)
            lines = text.split("\n")
            for match in regex.finditer(text):
                if len(entry["matches"]) >= MAX_MATCHES:
                    break
                number = text.count("\n", 0, match.start()) + 1
                entry["matches"].append({"path": path, "line": number, "text": _text(lines[number - 1])})
        result.setdefault(path_pattern, {})[pattern] = entry
    return result


# --------------------------------------------------------------------------- scripts


def run_script(command: str, timeout: int) -> dict[str, Any]:
    """A read-only shell check (the catalogue promises it changes nothing); its output, bounded and redacted.

    It runs in its own process group, killed as a whole on timeout: a pipeline's
    children would otherwise keep the output pipe open and the module waiting.
    """
    started = time.monotonic()
    with subprocess.Popen(
        ["/bin/sh", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"},
        start_new_session=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"rc": None, "lines": [], "line_count": 0, "stderr": "", "error": f"timed out after {timeout}s"}
    lines = [line for line in stdout.splitlines() if line.strip()]
    return {
        "rc": proc.returncode,
        "lines": [_text(line) for line in lines[:MAX_LINES]],
        "line_count": len(lines),
        "stderr": _text("\n".join(stderr.splitlines()[-5:])),
        "error": None,
        "seconds": round(time.monotonic() - started, 3),
    }


def run_scripts(commands: list[str], timeout: int) -> dict[str, Any]:
    """Every script check, a few at a time: most walk the filesystems and wait on I/O, not on a CPU."""
    with ThreadPoolExecutor(max_workers=SCRIPT_WORKERS) as pool:
        results = list(pool.map(lambda command: run_script(command, timeout), commands))
    return dict(zip(commands, results, strict=True))


# --------------------------------------------------------------------------- main


def decode_checks(params: dict[str, Any]) -> list[dict[str, Any]]:
    if params.get("checks_b64") is not None:
        decoded = json.loads(base64.b64decode(params["checks_b64"]).decode("utf-8"))
        if not isinstance(decoded, list):
            raise ValueError("checks_b64 must encode a JSON list")
        return decoded
    return list(params.get("checks") or [])


def collect(module: AnsibleModule, checks: list[dict[str, Any]], timeout: int) -> dict[str, Any]:
    """Group the checks by kind, collect each kind once, and time every collector."""
    virt = collect_virt(module)
    wanted: dict[str, list[Any]] = {}
    skipped: list[str] = []
    unknown: list[str] = []
    for item in checks:
        check = item.get("check") or {}
        if virt["container"] and item.get("skip_in_container"):
            skipped.append(str(item.get("id")))
            continue
        kind = check.get("kind")
        if kind == "sysctl":
            wanted.setdefault("sysctl", []).append(check["key"])
        elif kind == "cmdline":
            wanted.setdefault("cmdline", [])
        elif kind == "mount":
            wanted.setdefault("mounts", []).append(check["mountpoint"])
        elif kind == "file":
            wanted.setdefault("files", []).extend(check["paths"])
        elif kind == "packages_absent":
            wanted.setdefault("packages", []).extend(check["packages"])
        elif kind == "services_disabled":
            wanted.setdefault("services", []).extend(check["services"])
        elif kind == "sshd":
            wanted.setdefault("sshd", []).append(check["key"].lower())
        elif kind == "file_content":
            wanted.setdefault("content", []).append((check["path"], check["pattern"]))
        elif kind == "script":
            wanted.setdefault("scripts", []).append(check["command"])
        else:
            unknown.append(f"{item.get('id')}: unknown check kind {kind!r}")
    dedup = {k: list(dict.fromkeys(v)) for k, v in wanted.items()}
    collectors: dict[str, Callable[[list[Any]], Any]] = {
        "sysctl": lambda v: collect_sysctl(v),
        "cmdline": lambda v: collect_cmdline(),
        "mounts": lambda v: collect_mounts(v),
        "files": lambda v: collect_files(v),
        "packages": lambda v: collect_packages(v),
        "services": lambda v: collect_services(module, v),
        "sshd": lambda v: collect_sshd(module, v),
        "content": lambda v: collect_content(v),
        "scripts": lambda v: run_scripts(v, timeout),
    }
    evidence: dict[str, Any] = {"schema": SCHEMA, "virt": virt, "skipped_in_container": skipped, "errors": unknown}
    timings: dict[str, float] = {}
    for kind, values in dedup.items():
        started = time.monotonic()
        try:
            evidence[kind] = collectors[kind](values)
        except Exception as exc:  # noqa: BLE001 - one broken collector must not hide the others' evidence
            evidence["errors"].append(f"{kind}: {_error(exc)}")
        timings[kind] = round(time.monotonic() - started, 3)
    evidence["timings"] = timings
    return evidence


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "checks": {"type": "list", "elements": "dict"},
            "checks_b64": {"type": "str"},
            "context": {"type": "dict", "default": {}},
            "script_timeout": {"type": "int", "default": 300},
        },
        mutually_exclusive=[("checks", "checks_b64")],
        required_one_of=[("checks", "checks_b64")],
        supports_check_mode=True,
    )
    try:
        checks = decode_checks(module.params)
    except (ValueError, TypeError) as exc:
        module.fail_json(msg=f"cannot decode the checks: {exc}", changed=False)
    started = time.monotonic()
    evidence = collect(module, checks, module.params["script_timeout"])
    module.exit_json(
        changed=False,
        evidence=evidence,
        context=module.params["context"],
        seconds=round(time.monotonic() - started, 3),
    )


if __name__ == "__main__":
    main()
