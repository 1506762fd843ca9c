"""The helpers behind the role's filters: they change only what differs, and never loosen anything."""

from __future__ import annotations

from sovcloud_infra.hardening.remediation import (
    file_fixes,
    fstab_with_options,
    key_ids,
    mount_requirements,
    remounts,
    split_args,
    sshd_admits,
    sysctl_changes,
)

FSTAB = """# /etc/fstab: static file system information.
UUID=1111 /               ext4    errors=remount-ro 0       1
UUID=2222 /var            ext4    defaults        0       2
UUID=3333 /tmp            ext4    nodev,nosuid    0       2
UUID=4444 /home           ext4    defaults        0       2
"""
PROC_MOUNTS = """/dev/vda1 / ext4 rw,relatime 0 0
/dev/vda2 /var ext4 rw,relatime 0 0
/dev/vda3 /tmp ext4 rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
"""


def test_sysctl_changes_only_lists_differing_values_and_ignores_missing_keys():
    live = "net.ipv4.ip_forward = 1\nnet.ipv4.tcp_syncookies = 1\nnet.ipv4.ip_local_port_range = 32768\t65535\n"
    wanted = [
        {"key": "net.ipv4.ip_forward", "value": "0"},
        {"key": "net.ipv4.tcp_syncookies", "value": "1"},
        {"key": "net.ipv4.ip_local_port_range", "value": "32768 65535"},
        {"key": "net.ipv6.conf.all.disable_ipv6", "value": "1"},
    ]
    assert sysctl_changes(live, wanted) == ["net.ipv4.ip_forward=0"]


def test_fstab_gains_options_only_on_separate_mounts_and_keeps_the_rest():
    required = {"/var": ["nosuid", "nodev"], "/tmp": ["nosuid", "nodev", "noexec"], "/home": ["nosuid"], "/proc": []}
    out = fstab_with_options(FSTAB, required, ["/", "/var", "/tmp"])
    lines = out.splitlines()
    assert lines[0] == "# /etc/fstab: static file system information."
    assert lines[1] == "UUID=1111 /               ext4    errors=remount-ro 0       1"
    assert lines[2].split() == ["UUID=2222", "/var", "ext4", "nosuid,nodev", "0", "2"]
    assert lines[3].split()[3] == "nodev,nosuid,noexec"
    assert lines[4] == "UUID=4444 /home           ext4    defaults        0       2"  # not a separate mount here
    assert fstab_with_options(out, required, ["/", "/var", "/tmp"]) == out  # idempotent


def test_proc_entry_is_added_when_hidepid_is_required():
    out = fstab_with_options(FSTAB, {"/proc": ["hidepid=invisible"]}, ["/", "/proc"])
    assert out.splitlines()[-1].split() == ["proc", "/proc", "proc", "nosuid,nodev,noexec,hidepid=invisible", "0", "0"]


def test_remounts_name_the_missing_options_of_mounted_points_only():
    required = {"/var": ["nosuid", "nodev", "noexec"], "/tmp": ["nosuid", "nodev", "noexec"], "/srv": ["nodev"]}
    assert remounts(PROC_MOUNTS, required) == {"/var": ["nosuid", "nodev", "noexec"]}


def test_mount_requirements_group_options_per_mount_point():
    controls = [
        {"id": "R28.var_nosuid", "check": {"mountpoint": "/var", "options": ["nosuid"]}},
        {"id": "R28.var_nodev", "check": {"mountpoint": "/var", "options": ["nodev"]}},
        {"id": "R28.usr_nodev", "check": {"mountpoint": "/usr", "options": ["nodev"]}},
    ]
    assert mount_requirements(controls) == {"/var": ["nosuid", "nodev"], "/usr": ["nodev"]}


def test_file_fixes_restrict_without_loosening():
    stats = "/etc/shadow|root|shadow|644\n/etc/gshadow|root|shadow|600\n/etc/sudoers.d/x|alice|root|440\n"
    checks = [
        {"paths": ["/etc/shadow", "/etc/gshadow"], "owner": "root", "group": "shadow", "mode_max": "0640"},
        {"paths": ["/etc/sudoers.d/*"], "owner": "root", "group": "root", "mode_max": "0440"},
    ]
    assert file_fixes(stats, checks) == [
        {"path": "/etc/shadow", "owner": "root", "group": "shadow", "mode": "0640"},
        {"path": "/etc/sudoers.d/x", "owner": "root", "group": "root", "mode": "0440"},
    ]


def test_file_fixes_keep_the_group_when_the_check_names_none():
    assert file_fixes(
        "/boot|root|adm|755\n", [{"paths": ["/boot"], "owner": "root", "group": None, "mode_max": "0700"}]
    ) == [{"path": "/boot", "owner": "root", "group": "adm", "mode": "0700"}]


def test_key_ids_ignore_comments_and_options():
    keys = [
        'from="10.0.0.0/8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFe7GLSHjCTnJ3WQ++9vOzlf5grOFN9Si5XMY6zZEka7 alice@ops',
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFe7GLSHjCTnJ3WQ++9vOzlf5grOFN9Si5XMY6zZEka7 other-comment",
    ]
    ids = key_ids(keys)
    assert len(set(ids)) == 1 and ids[0].startswith("ssh-ed25519 AAAA")
    assert key_ids("") == []


def test_sshd_admits_follows_allow_users_and_allow_groups():
    assert sshd_admits("alice", ["alice", "sre-core"], [], ["sre-core"])
    assert not sshd_admits("alice", ["alice", "sre-core"], [], ["sre-storage"])
    assert not sshd_admits("alice", ["sre-core"], ["bob"], ["sre-core"])  # both must pass
    assert sshd_admits("alice", ["sre-core"], ["ali*@10.0.0.1"], ["sre-*"])
    assert sshd_admits("alice", [], [], [])


def test_split_args_is_shell_like():
    assert split_args("-o UserKnownHostsFile='/a b/known' -o IdentitiesOnly=yes") == [
        "-o", "UserKnownHostsFile=/a b/known", "-o", "IdentitiesOnly=yes"
    ]  # fmt: skip
    assert split_args(None) == []
