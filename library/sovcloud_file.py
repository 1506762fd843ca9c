#!/usr/bin/python
"""Write one configuration file from content rendered on the controller, in one remote call.

Why this exists: ``ansible.builtin.template`` and ``copy`` are action plugins that
cost five SSH round trips per file even when nothing changes (home expansion,
temporary directory, ``stat``, ``file`` for the attributes, cleanup). The roles
write about forty files per host, so a converge with nothing to do spent most of
its time proving that files were already right (bench/converge.py: 156 remote
calls per host for common + hardening, 125 of them for files). This module is
the same operation as one module call: the roles still render their Jinja2
templates, on the controller, with ``lookup('ansible.builtin.template', ...)``,
and pass the result as ``content``.

Semantics follow ``copy``: the file is replaced atomically (a temporary file in
the same directory, already carrying the final owner, group and mode, then
``rename``), ``validate`` runs on the temporary file before it replaces the live
one, ``backup`` keeps a timestamped copy of the previous version, check mode
reports what would change without writing, and ``--diff`` shows the content.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

DOCUMENTATION = r"""
module: sovcloud_file
short_description: Write a file's content, owner, group and mode in one remote call
description:
  - Compares C(content) with the file at C(dest) and replaces it atomically when it differs;
    then owner, group and mode are set if they differ. Supports check mode and diff mode.
options:
  dest:
    description: Absolute path of the file. Its directory must exist.
    type: path
    required: true
  content:
    description: The whole content of the file (render templates with the template lookup).
    type: str
    required: true
  validate:
    description: Command run on the candidate before it replaces C(dest); C(%s) is the candidate's path.
    type: str
  backup:
    description: Keep a timestamped copy of the previous file next to it when the content changes.
    type: bool
    default: false
  create_parents:
    description: Create missing parent directories (root-owned, mode 0755), as a drop-in directory needs.
    type: bool
    default: false
extends_documentation_fragment: [files]
author: sovcloud-infra
"""

EXAMPLES = r"""
- name: Configure chrony with the region's internal servers only
  sovcloud_file:
    dest: /etc/chrony/chrony.conf
    content: "{{ lookup('ansible.builtin.template', 'chrony.conf.j2') }}"
    owner: root
    group: root
    mode: "0644"
    validate: /usr/sbin/chronyd -p -f %s
"""

RETURN = r"""
dest: {description: The file written., returned: always, type: str}
backup_file: {description: Copy of the previous version, when C(backup) made one., returned: changed, type: str}
"""


#: Larger files are compared and written, but not shown in the diff.
DIFF_MAX_BYTES = 256 * 1024


def read_current(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


def content_diff(dest: str, before: bytes | None, after: bytes) -> dict[str, str]:
    if len(after) > DIFF_MAX_BYTES or (before is not None and len(before) > DIFF_MAX_BYTES):
        return {"before_header": dest, "after_header": dest, "before": "(large file)\n", "after": "(large file)\n"}
    return {
        "before_header": dest if before is not None else "(absent)",
        "after_header": dest,
        "before": to_text(before or b"", errors="surrogate_or_replace"),
        "after": to_text(after, errors="surrogate_or_replace"),
    }


def write_candidate(module: AnsibleModule, dest: str, content: bytes, previous: os.stat_result | None) -> str:
    """The new content in a temporary file beside ``dest``, with its final attributes already set."""
    directory = Path(dest).parent
    if not directory.is_dir():
        module.fail_json(msg=f"{directory} does not exist: create it before writing {dest}")
    fd, candidate = tempfile.mkstemp(dir=directory, prefix=f".{Path(dest).name}.", suffix=".sovcloud")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if previous is not None:  # attributes the task does not set are kept from the previous file
            os.chown(candidate, previous.st_uid, previous.st_gid)
            Path(candidate).chmod(previous.st_mode & 0o7777)
        else:
            Path(candidate).chmod(0o666 & ~current_umask())
        args = module.load_file_common_arguments(module.params, path=candidate)
        module.set_fs_attributes_if_different(args, False)
    except BaseException:
        Path(candidate).unlink()
        raise
    return candidate


def create_parents(directory: Path) -> None:
    """Missing directories down to ``directory``, each root-owned with mode 0755 whatever the umask."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o755)
        path.chmod(0o755)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def validate(module: AnsibleModule, command: str, candidate: str) -> None:
    if "%s" not in command:
        module.fail_json(msg=f"validate must contain %s (the candidate's path): {command!r}")
    argv = [candidate if word == "%s" else word.replace("%s", candidate) for word in shlex.split(command)]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        Path(candidate).unlink()
        module.fail_json(msg=f"validation of the new {module.params['dest']} failed: {command}", rc=rc,
                         stdout=out, stderr=err)  # fmt: skip


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "content": {"type": "str", "required": True},
            "validate": {"type": "str"},
            "backup": {"type": "bool", "default": False},
            "create_parents": {"type": "bool", "default": False},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    dest: str = module.params["dest"]
    wanted = to_bytes(module.params["content"], errors="surrogate_or_strict")
    if Path(dest).is_dir():
        module.fail_json(msg=f"{dest} is a directory")
    current = read_current(dest)
    result: dict[str, Any] = {"changed": False, "dest": dest}

    if current != wanted:
        result["changed"] = True
        if module._diff:
            result["diff"] = content_diff(dest, current, wanted)
        if not module.check_mode:
            if module.params["create_parents"] and not Path(dest).parent.is_dir():
                create_parents(Path(dest).parent)
            previous = Path(dest).stat() if current is not None else None
            candidate = write_candidate(module, dest, wanted, previous)
            if module.params["validate"]:
                validate(module, module.params["validate"], candidate)
            if module.params["backup"] and current is not None:
                result["backup_file"] = module.backup_local(dest)
            Path(candidate).replace(dest)
            module.exit_json(**result)
        # check mode: the attributes of a file that does not exist yet are not compared
        if current is None:
            module.exit_json(**result)

    args = module.load_file_common_arguments(module.params)
    result["changed"] = module.set_fs_attributes_if_different(args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
