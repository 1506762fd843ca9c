"""The `sovcloud_file` module, run by the real `ansible` CLI on this machine (local connection, real files).

It replaces `template`/`copy` in the roles (one remote call per file instead of
five), so it must keep their contract: atomic replacement, attributes, validate
before replace, backup, check mode that writes nothing, and a diff.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / ".venv" / "bin" / "ansible"


def run(*, check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
    argv = [str(ANSIBLE), "localhost", "-c", "local", "-i", "localhost,", "-M", str(REPO / "library"),
            "-m", "sovcloud_file", "-a", json.dumps(args)]  # fmt: skip
    argv += ["--check"] * check + ["--diff"] * diff
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=120)
    # The report is the first JSON document of stdout (ansible.cfg's profile_tasks prints around it).
    start = proc.stdout.find("\n{") + 1
    assert start > 0, proc.stdout + proc.stderr
    out, _ = json.JSONDecoder().raw_decode(proc.stdout, start)
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_writes_then_reports_nothing_to_do(tmp_path: Path):
    dest = tmp_path / "chrony.conf"
    first = run(dest=str(dest), content="server a iburst\n", mode="0640")
    assert first["changed"] is True and dest.read_text() == "server a iburst\n"
    assert dest.stat().st_mode & 0o7777 == 0o640
    second = run(dest=str(dest), content="server a iburst\n", mode="0640")
    assert second["changed"] is False
    assert not [p for p in tmp_path.iterdir() if p.name != "chrony.conf"], "no candidate left behind"


def test_a_mode_change_alone_is_a_change(tmp_path: Path):
    dest = tmp_path / "shadowish"
    dest.write_text("x\n")
    dest.chmod(0o644)
    result = run(dest=str(dest), content="x\n", mode="0600")
    assert result["changed"] is True and dest.stat().st_mode & 0o7777 == 0o600


def test_check_mode_reports_the_change_with_a_diff_and_writes_nothing(tmp_path: Path):
    dest = tmp_path / "sshd.conf"
    dest.write_text("PermitRootLogin yes\n")
    result = run(dest=str(dest), content="PermitRootLogin no\n", check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == "PermitRootLogin yes\n" and result["diff"]["after"] == "PermitRootLogin no\n"
    assert dest.read_text() == "PermitRootLogin yes\n"
    absent = run(dest=str(tmp_path / "new.conf"), content="x\n", mode="0644", check=True)
    assert absent["changed"] is True and not (tmp_path / "new.conf").exists()


def test_a_candidate_that_fails_validation_never_replaces_the_file(tmp_path: Path):
    dest = tmp_path / "sudoers"
    dest.write_text("good\n")
    result = run(dest=str(dest), content="bad\n", validate="grep -q good %s")
    assert result.get("failed") is True and "validation" in result["msg"]
    assert dest.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sudoers"], "the candidate is removed"
    ok = run(dest=str(dest), content="still good\n", validate="grep -q good %s")
    assert ok["changed"] is True and dest.read_text() == "still good\n"


def test_backup_keeps_the_previous_version(tmp_path: Path):
    dest = tmp_path / "fstab"
    dest.write_text("old\n")
    result = run(dest=str(dest), content="new\n", backup=True)
    assert Path(result["backup_file"]).read_text() == "old\n" and dest.read_text() == "new\n"


def test_a_missing_directory_is_a_clear_error(tmp_path: Path):
    result = run(dest=str(tmp_path / "nope" / "file"), content="x\n")
    assert result.get("failed") is True and "does not exist" in result["msg"]


def test_create_parents_makes_the_drop_in_directory(tmp_path: Path):
    dest = tmp_path / "ssh.service.d" / "sub" / "listen.conf"
    result = run(dest=str(dest), content="[Service]\n", mode="0644", create_parents=True)
    assert result["changed"] is True and dest.read_text() == "[Service]\n"
    assert (tmp_path / "ssh.service.d").stat().st_mode & 0o777 == 0o755
