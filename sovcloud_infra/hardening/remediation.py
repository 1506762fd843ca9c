"""Pure helpers behind the hardening role's filters: what differs on a host and how to fix it.

Kept out of Jinja so they are typed and unit-tested: the role reads the host
(``sysctl``, ``/etc/fstab``, ``/proc/mounts``, ``stat``), these functions
compute the difference, and the role changes only that, which keeps the
second run at ``changed=0`` and check mode truthful.
"""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Iterable, Mapping
from typing import Any


def _norm(value: str) -> str:
    return " ".join(value.split())


def sysctl_changes(live: str, wanted: Iterable[Mapping[str, str]]) -> list[str]:
    """``key=value`` for each wanted parameter whose live value differs (``sysctl -e k1 k2`` output).

    Parameters the kernel does not have (absent from `live`, e.g. net.ipv6 after ipv6.disable=1) are left out.
    """
    current: dict[str, str] = {}
    for line in live.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            current[key.strip()] = _norm(value)
    return [
        f"{w['key']}={w['value']}" for w in wanted if w["key"] in current and current[w["key"]] != _norm(w["value"])
    ]


def mount_requirements(controls: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Mount point -> required options, from the plan's enforced `mount` controls."""
    required: dict[str, list[str]] = {}
    for ctl in controls:
        check = ctl["check"]
        opts = required.setdefault(str(check["mountpoint"]), [])
        opts += [o for o in check["options"] if o not in opts]
    return required


def mount_options(proc_mounts: str) -> dict[str, list[str]]:
    """Mount point -> live options, from /proc/mounts (the last mount on a point wins, as the kernel shows it)."""
    live: dict[str, list[str]] = {}
    for line in proc_mounts.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            live[fields[1].replace("\\040", " ")] = fields[3].split(",")
    return live


def remounts(proc_mounts: str, required: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Separate mount points whose live options lack required ones -> the options to add by remount."""
    live = mount_options(proc_mounts)
    return {
        mp: missing
        for mp, opts in required.items()
        if mp in live and (missing := [o for o in opts if o not in live[mp]])
    }


def fstab_with_options(fstab: str, required: Mapping[str, Iterable[str]], mounted: Iterable[str]) -> str:
    """/etc/fstab with the required options added to the entries of separately mounted points.

    Comments, order and every other field are kept; a point that is not a separate mount
    (absent from `mounted`) is left alone, except /proc, whose entry is added when missing.
    """
    mounted = set(mounted)
    wanted = {mp: list(opts) for mp, opts in required.items() if mp in mounted}
    out: list[str] = []
    seen: set[str] = set()
    for line in fstab.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#") or len(fields) < 4 or fields[1] not in wanted:
            out.append(line)
            continue
        mp = fields[1]
        seen.add(mp)
        opts = [o for o in fields[3].split(",") if o != "defaults"] or ["defaults"]
        missing = [o for o in wanted[mp] if o not in opts]
        if not missing:
            out.append(line)
            continue
        opts = [o for o in opts if o != "defaults"] + missing
        fields[3] = ",".join(opts)
        out.append("\t".join(fields))
    if "/proc" in wanted and "/proc" not in seen:
        out.append("proc\t/proc\tproc\t" + ",".join(["nosuid", "nodev", "noexec", *wanted["/proc"]]) + "\t0\t0")
    return "\n".join(out) + "\n"


def _mode_int(mode: str) -> int:
    return int(mode, 8)


def file_fixes(stat_output: str, checks: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Files whose owner, group or mode exceed a `file` check, with the values that fix them.

    `stat_output` has one ``path|owner|group|octal-mode`` line per existing file. The new mode
    keeps the file's bits that the check allows (current & mode_max): nothing is loosened.
    """
    stats: dict[str, tuple[str, str, int]] = {}
    for line in stat_output.splitlines():
        parts = line.split("|")
        if len(parts) == 4:
            stats[parts[0]] = (parts[1], parts[2], _mode_int(parts[3]))
    fixes: dict[str, dict[str, str]] = {}
    for check in checks:
        limit = _mode_int(str(check["mode_max"]))
        for path, (owner, group, mode) in stats.items():
            if not any(fnmatch.fnmatchcase(path, pattern) for pattern in check["paths"]):
                continue
            want_group = check.get("group") or group
            new_mode = mode & limit
            if owner != check.get("owner", "root") or group != want_group or new_mode != mode:
                fixes[path] = {
                    "path": path,
                    "owner": str(check.get("owner", "root")),
                    "group": str(want_group),
                    "mode": f"{new_mode:04o}",
                }
    return sorted(fixes.values(), key=lambda f: f["path"])


def key_ids(keys: Iterable[str] | str) -> list[str]:
    """The identity of SSH public keys ("type base64"), comments and options dropped, for comparisons."""
    lines = keys.splitlines() if isinstance(keys, str) else [line for k in keys for line in str(k).splitlines()]
    ids: list[str] = []
    for line in lines:
        fields = line.split()
        for i, field in enumerate(fields[:-1]):
            if field.startswith(("ssh-", "ecdsa-", "sk-")) and len(fields[i + 1]) > 40:
                ids.append(f"{field} {fields[i + 1]}")
                break
    return ids


def sshd_admits(user: str, groups: Iterable[str], allow_users: Iterable[str], allow_groups: Iterable[str]) -> bool:
    """Whether sshd's AllowUsers/AllowGroups admit `user` (both must pass when both are set; empty means no limit)."""
    users = [u.split("@", 1)[0] for u in allow_users]
    group_list = list(allow_groups)
    users_ok = not users or any(fnmatch.fnmatchcase(user, u) for u in users)
    groups_ok = not group_list or any(fnmatch.fnmatchcase(g, pat) for g in groups for pat in group_list)
    return users_ok and groups_ok


def split_args(args: str | None) -> list[str]:
    """Shell-like split of ssh argument strings (ansible_ssh_common_args)."""
    return shlex.split(args or "")
