"""The control catalogue holds together: the guide's levels, checks for every automated control,
a remediation (or a stated reason) for each, and no role tag or waiver naming an unknown ID."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sovcloud_infra.hardening.catalogue import LEVELS, Catalogue, Status, load_catalogue

REPO = Path(__file__).resolve().parents[2]
CONTROL_LIKE = re.compile(r"^(R\d{1,2}|SSH-R\d{1,2})(\.[A-Za-z0-9_]+)?$")

# ANSSI-BP-028 v2.0 levels (/work/shared/notes/anssi-bp028.md, "new at this level").
NOTES_LEVELS: dict[str, list[int]] = {
    "minimal": [30, 31, 53, 54, 56, 58, 59, 61, 62, 68, 80],
    "intermediary": [
        2,
        3,
        5,
        8,
        9,
        11,
        12,
        13,
        14,
        28,
        32,
        33,
        34,
        35,
        39,
        40,
        42,
        43,
        44,
        50,
        52,
        55,
        63,
        67,
        69,
        70,
        74,
        75,
        79,
    ],
    "enhanced": [1, 7, 10, 29, 36, 37, 38, 41, 45, 51, 57, 60, 64, 65, 71, 72, 73, 78],
    "high": [4, 6, *range(15, 28), *range(46, 50), 66, 76, 77],
}

# IDs other engineers and the stacks already use: renaming one breaks them.
PINNED_IDS = [
    "R12.ip_forward", "R12.rp_filter", "R12.arp_ignore", "R12.arp_filter", "R12.drop_gratuitous_arp", "R28.var_noexec",
    "R9.dmesg_restrict", "R14.protected_symlinks", "R31.pwquality_minlen", "R33.permit_root_login", "R39.sudo_use_pty",
    "R50.shadow_mode", "R53.unowned_files", "R54.sticky_world_writable", "R56.setuid_allowlist", "R74.mta_loopback",
]  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _tasks(node: Any) -> Iterator[dict[str, Any]]:
    """Every task (and block) of a parsed task file, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always"):
            yield from _tasks(node.get(key, []))


def _tags(task: dict[str, Any]) -> list[str]:
    tags = task.get("tags", [])
    return [tags] if isinstance(tags, str) else [str(t) for t in tags]


def role_tags() -> dict[str, set[str]]:
    """Tag -> files carrying it, over every role's tasks and handlers and every playbook."""
    files = [*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("roles/*/handlers/*.yml"), *REPO.glob("playbooks/*.yml")]
    found: dict[str, set[str]] = {}
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        plays = data if path.parts[-2] == "playbooks" else [{"tasks": data}]
        for play in plays or []:
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                for task in _tasks(play.get(section, [])):
                    for tag in _tags(task):
                        found.setdefault(tag, set()).add(str(path.relative_to(REPO)))
            for role in play.get("roles", []):
                if isinstance(role, dict):
                    for tag in _tags(role):
                        found.setdefault(tag, set()).add(str(path.relative_to(REPO)))
    return found


def test_catalogue_loads_with_every_bp028_recommendation_once(catalogue: Catalogue):
    ids = [r.id for r in catalogue.recommendations if not r.id.startswith("SSH-")]
    assert sorted(ids, key=lambda i: int(i[1:])) == [f"R{n}" for n in range(1, 81)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("level", LEVELS)
def test_levels_are_the_guides(catalogue: Catalogue, level: str):
    got = sorted(int(r.id[1:]) for r in catalogue.recommendations if r.level == level and not r.id.startswith("SSH-"))
    assert got == sorted(NOTES_LEVELS[level])


def test_intermediary_is_cumulative_and_has_40_bp028_recommendations(catalogue: Catalogue):
    bp028 = [r for r in catalogue.for_level("intermediary") if not r.id.startswith("SSH-")]
    assert len(bp028) == 40
    assert len([r for r in catalogue.for_level("high") if not r.id.startswith("SSH-")]) == 80


def test_all_ids_are_unique_and_belong_to_their_recommendation(catalogue: Catalogue):
    seen: set[str] = set()
    for rec in catalogue.recommendations:
        assert rec.id not in seen
        seen.add(rec.id)
        for ctl in rec.controls:
            assert ctl.id not in seen, f"duplicate control ID {ctl.id}"
            seen.add(ctl.id)
            assert ctl.id.split(".", 1)[0] == rec.id, f"{ctl.id} is filed under {rec.id}"


def test_pinned_ids_exist(catalogue: Catalogue):
    missing = [i for i in PINNED_IDS if i not in catalogue.ids()]
    assert not missing


def test_status_is_explained(catalogue: Catalogue):
    for rec in catalogue.recommendations:
        if rec.status == Status.automated:
            assert rec.controls, f"{rec.id} is automated but has no control"
            assert all(c.check is not None for c in rec.controls), f"{rec.id}: an automated control without a check"
        else:
            assert rec.reason, f"{rec.id} is {rec.status} without a reason"
            assert not rec.controls, f"{rec.id} is {rec.status} but lists controls"


def test_exceptions_carry_their_reasons(catalogue: Catalogue):
    for rec in catalogue.recommendations:
        for ctl in rec.controls:
            if ctl.container == "not-applicable":
                assert ctl.container_reason, ctl.id
            if ctl.remediation == "none":
                assert ctl.remediation_reason, ctl.id


def test_what_a_container_cannot_show_is_not_applicable(catalogue: Catalogue):
    """Kernel-wide sysctls, command line, mounts and modules cannot be shown in a container (lab-hosts notes)."""
    for rec in catalogue.recommendations:
        for ctl in rec.controls:
            check = ctl.check
            if check is None:
                continue
            kernel_wide = check.kind == "sysctl" and check.key.split(".")[0] in ("kernel", "fs", "vm")
            if kernel_wide or check.kind in ("cmdline", "mount"):
                assert ctl.container == "not-applicable", ctl.id
            if check.kind == "sysctl" and check.key.startswith("net.ipv"):
                assert ctl.container == "applicable", f"{ctl.id}: net.ipv* sysctls are per network namespace"


def test_ssh_note_recommendations_are_intermediary_ssh(catalogue: Catalogue):
    ssh = [r for r in catalogue.recommendations if r.id.startswith("SSH-")]
    assert len(ssh) >= 10
    assert all(r.level == "intermediary" and r.area == "ssh" for r in ssh)
    keys = {c.check.key for r in ssh for c in r.controls if c.check is not None and c.check.kind == "sshd"}
    assert {"permitrootlogin", "passwordauthentication", "kexalgorithms", "ciphers", "macs"} <= keys


def test_every_automated_control_of_the_intermediary_level_is_remediated_or_says_why(catalogue: Catalogue):
    tags = role_tags()
    for rec in catalogue.for_level("intermediary"):
        if rec.status != Status.automated:
            continue
        for ctl in rec.controls:
            assert ctl.check is not None, ctl.id
            if ctl.remediation == "none":
                assert ctl.remediation_reason, ctl.id
            else:
                assert ctl.id in tags or rec.id in tags, f"no task in roles/ is tagged {ctl.id} (or {rec.id})"


def test_the_hardening_role_tags_its_controls_by_their_own_id(catalogue: Catalogue):
    """The hardening role tags sub-controls exactly, so `--tags R12.rp_filter` selects the task that enforces it."""
    tags = role_tags()
    for rec in catalogue.for_level("high"):
        for ctl in rec.controls:
            if rec.status == Status.automated and ctl.remediation == "role" and rec.id not in ("R59", "R61"):
                assert any(f.startswith("roles/hardening/") for f in tags.get(ctl.id, set())), ctl.id


def test_no_task_carries_an_unknown_control_id(catalogue: Catalogue):
    known = catalogue.ids()
    unknown = {t: sorted(files) for t, files in role_tags().items() if CONTROL_LIKE.match(t) and t not in known}
    assert not unknown


STACKS = sorted(p.name for p in (REPO / "stacks").iterdir() if (p / "hardening.yaml").exists())


@pytest.mark.parametrize("stack", STACKS)
def test_waivers_in_stacks_name_catalogue_controls(catalogue: Catalogue, stack: str):
    data = yaml.safe_load((REPO / "stacks" / stack / "hardening.yaml").read_text(encoding="utf-8"))
    for waiver in data["hardening"].get("waivers", []):
        assert waiver["control"] in catalogue.ids(), f"{stack}: waiver for unknown control {waiver['control']}"
        assert waiver["justification"].strip() and waiver["owner"].strip()


def test_patterns_compile_and_scripts_parse(catalogue: Catalogue):
    for rec in catalogue.recommendations:
        for ctl in rec.controls:
            check = ctl.check
            if check is not None and check.kind == "file_content":
                re.compile(check.pattern)
            if check is not None and check.kind == "script":
                parsed = subprocess.run(["sh", "-n", "-c", check.command], capture_output=True, text=True)
                assert parsed.returncode == 0, f"{ctl.id}: {parsed.stderr}"


def test_file_checks_use_octal_modes(catalogue: Catalogue):
    for rec in catalogue.recommendations:
        for ctl in rec.controls:
            if ctl.check is not None and ctl.check.kind == "file":
                assert re.fullmatch(r"0[0-7]{3}", ctl.check.mode_max), ctl.id


def test_setuid_allow_list_of_the_check_is_the_roles_default(catalogue: Catalogue):
    check = catalogue.control("R56.setuid_allowlist").check
    assert check is not None and check.kind == "script"
    listed = re.search(r'split\("([^"]+)"', check.command)
    assert listed is not None
    defaults = yaml.safe_load((REPO / "roles/hardening/defaults/main.yml").read_text(encoding="utf-8"))
    assert sorted(listed.group(1).split()) == sorted(defaults["hardening_setuid_allowlist"])


def _walking_scripts(catalogue: Catalogue) -> dict[str, str]:
    """Control ID -> script of the checks that walk the mounted filesystems with find (R53, R54, R56)."""
    return {
        ctl.id: ctl.check.command
        for rec in catalogue.recommendations
        for ctl in rec.controls
        if ctl.check is not None and ctl.check.kind == "script" and "while read -r m; do find" in ctl.check.command
    }


def test_a_file_vanishing_during_a_walk_is_not_a_failed_check(catalogue: Catalogue, tmp_path: Path):
    """find exits 1 when a file disappears under it (a busy /run or /tmp), and the check reads a non-zero exit
    as a failure: the walks must end with the offending files they printed, not with find's exit status.
    Run for real with `sh`, a findmnt that names two mounts and a find that prints one path then exits 1."""
    scripts = _walking_scripts(catalogue)
    assert {"R53.unowned_files", "R54.sticky_world_writable", "R56.setuid_allowlist"} <= set(scripts)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "findmnt").write_text("#!/bin/sh\nprintf '/ ext4\\n/run tmpfs\\n'\n")
    (bin_dir / "find").write_text('#!/bin/sh\n[ "$1" = /run ] && echo /run/vanishing\nexit 1\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    for control_id, command in scripts.items():
        run = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, check=False)
        assert run.returncode == 0, f"{control_id} exits {run.returncode} when find does"
        assert run.stdout.split() == ["/run/vanishing"], f"{control_id} lost find's output: {run.stdout!r}"
    role_scan = (REPO / "roles/hardening/tasks/files.yml").read_text()
    assert "-perm /6000 -print 2>/dev/null || true; done" in role_scan  # the role's own setuid walk, same rule
