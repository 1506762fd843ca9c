"""The `sovcloud_evidence` module's parsers on real files: sysctl precedence, GRUB, mounts, dpkg, content."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mod() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sovcloud_evidence", REPO / "library" / "sovcloud_evidence.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sovcloud_evidence"] = module
    spec.loader.exec_module(module)
    return module


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_sysctl_files_follow_systemd_precedence(mod: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    etc, run, usr = tmp_path / "etc", tmp_path / "run", tmp_path / "usr"
    write(usr / "10-defaults.conf", "net.ipv4.ip_forward = 1\n")
    write(usr / "50-masked.conf", "net.ipv4.tcp_syncookies = 0\n")
    write(etc / "50-masked.conf", "net.ipv4.tcp_syncookies = 1\n")  # same name: /etc masks /usr/lib
    write(run / "30-runtime.conf", "net.ipv4.ip_forward = 0\n")
    write(etc / "notes.txt", "net.ipv4.ip_forward = 1\n")  # not a .conf file
    monkeypatch.setattr(mod, "SYSCTL_DIRS", (str(etc), str(run), str(usr)))
    files = mod.sysctl_files()
    assert [Path(f).name for f in files if not f.startswith("/etc/sysctl.conf")] == [
        "10-defaults.conf",
        "30-runtime.conf",
        "50-masked.conf",
    ]
    assert str(etc / "50-masked.conf") in files
    assignments, excluded, errors = mod.parse_sysctl_files([f for f in files if f != "/etc/sysctl.conf"])
    assert errors == []
    forward = mod.persisted_sysctl("net.ipv4.ip_forward", assignments, excluded)
    assert forward["value"] == "0" and forward["source"] == f"{run / '30-runtime.conf'}:1"
    assert len(forward["assignments"]) == 2  # both files are evidence, the later one wins
    assert mod.persisted_sysctl("net.ipv4.tcp_syncookies", assignments, excluded)["value"] == "1"


def test_sysctl_syntax_slashes_globs_exclusions_comments(mod: ModuleType, tmp_path: Path):
    conf = write(
        tmp_path / "a.conf",
        "# comment\n; comment\n\n"
        "net/ipv4/conf/eth0.100/rp_filter = 2\n"
        "net.ipv4.conf.*.accept_redirects = 0\n"
        "net.ipv4.conf.lo.accept_redirects = 1\n"
        "-net.ipv4.conf.eth9.accept_redirects\n"
        "-net.ipv4.ip_local_port_range =   32768\t65535  \n",
    )
    assignments, excluded, _ = mod.parse_sysctl_files([conf])
    assert mod.persisted_sysctl("net.ipv4.conf.eth0/100.rp_filter", assignments, excluded)["value"] == "2"
    # explicit settings beat globs whatever their order; excluded keys get no glob value
    assert mod.persisted_sysctl("net.ipv4.conf.all.accept_redirects", assignments, excluded)["value"] == "0"
    assert mod.persisted_sysctl("net.ipv4.conf.lo.accept_redirects", assignments, excluded)["value"] == "1"
    assert mod.persisted_sysctl("net.ipv4.conf.eth9.accept_redirects", assignments, excluded)["value"] is None
    assert mod.persisted_sysctl("net.ipv4.ip_local_port_range", assignments, excluded)["value"] == "32768 65535"
    assert mod.normalise_sysctl_key("net/ipv4/ip_forward") == "net.ipv4.ip_forward"


def test_live_sysctl_of_this_machine(mod: ModuleType):
    live = mod.live_sysctl("kernel.ostype")
    assert live == {"value": "Linux", "error": None}
    assert mod.live_sysctl("kernel.no_such_key")["error"] == "no such kernel parameter"


def test_grub_default_is_computed_like_grub_mkconfig(mod: ModuleType, tmp_path: Path):
    main = write(tmp_path / "grub", 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n')
    drop = write(
        tmp_path / "grub.d" / "60-sovcloud.cfg",
        'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX pti=on slab_nomerge=yes"  # hardening\n'
        'export GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} mce=0"\n',
    )
    parsed = mod.parse_grub_default([main, drop])
    assert parsed["GRUB_CMDLINE_LINUX"] == "pti=on slab_nomerge=yes"
    assert parsed["params"] == ["pti=on", "slab_nomerge=yes", "quiet", "mce=0"]
    cfg = write(
        tmp_path / "grub.cfg",
        "menuentry 'Debian' {\n\tlinux\t/vmlinuz-6.1.0-27-amd64 root=UUID=x ro pti=on quiet\n}\n"
        "menuentry 'Debian (recovery)' {\n\tlinux /vmlinuz-6.1.0-27-amd64 root=UUID=x ro single\n}\n",
    )
    parsed_cfg = mod.parse_grub_cfg(cfg)
    assert parsed_cfg["default_params"] == ["root=UUID=x", "ro", "pti=on", "quiet"]
    assert len(parsed_cfg["entries"]) == 2
    assert mod.parse_grub_cfg(str(tmp_path / "missing.cfg"))["exists"] is False


def test_mount_tables_unescape_and_the_top_mount_wins(mod: ModuleType):
    table = mod.parse_mount_table(
        "proc /proc proc rw,nosuid 0 0\n"
        "tmpfs /tmp tmpfs rw 0 0\n"
        "/dev/vda3 /tmp ext4 rw,nosuid,nodev,noexec 0 0\n"
        "/dev/vda9 /srv/my\\040data ext4 rw 0 0\n"
        "# UUID=x /home ext4 defaults 0 2\n"
    )
    assert table["/tmp"]["options"] == ["rw", "nosuid", "nodev", "noexec"]
    assert "/srv/my data" in table and "/home" not in table
    assert mod.mount_unit_name("/var/tmp") == "var-tmp.mount"
    assert mod.mount_unit_name("/srv/a-b") == "srv-a\\x2db.mount"
    assert mod.mount_unit_name("/") == "-.mount"


def test_dpkg_status_counts_only_installed_packages(mod: ModuleType):
    status = (
        "Package: telnet\nStatus: install ok installed\nVersion: 0.17+2.4-2\n\n"
        "Package: rsh-client\nStatus: deinstall ok config-files\nVersion: 0.17-24\n\n"
        "Package: nis\nStatus: purge ok not-installed\n\n"
        "Package: tftpd-hpa\nStatus: install ok unpacked\nVersion: 5.2\nDescription: x\n multi-line: y\n"
    )
    assert mod.parse_dpkg_status(status) == {"telnet": "0.17+2.4-2", "tftpd-hpa": "5.2"}


def test_file_facts_report_owner_group_and_mode_of_real_files(mod: ModuleType, tmp_path: Path):
    target = tmp_path / "secret"
    target.write_text("x")
    target.chmod(0o4640)
    (tmp_path / "link").symlink_to(target)
    facts = mod.collect_files([str(tmp_path / "*"), str(tmp_path / "absent")])
    by_path = {f["path"]: f for f in facts[str(tmp_path / "*")]["files"]}
    assert by_path[str(target)]["mode"] == "4640" and by_path[str(target)]["owner"] == "root"
    assert by_path[str(tmp_path / "link")]["link_to"] == str(target)
    assert by_path[str(tmp_path / "link")]["mode"] == "4640"  # the target's mode, what access depends on
    assert facts[str(tmp_path / "absent")]["files"] == []


def test_content_matches_are_bounded_and_never_leak_a_password_hash(mod: ModuleType, tmp_path: Path):
    shadow = write(
        tmp_path / "shadow",
        "root:$y$j9T$abcdefgh$0123456789ABCDEFGHIJ:19000:0:99999:7:::\nbob::19000:0:99999:7:::\n",
    )
    result = mod.collect_content([(shadow, "^root:"), (shadow, "^[^:]+::"), (shadow, "(unclosed")])
    root = result[shadow]["^root:"]["matches"][0]
    assert root["line"] == 1 and "$y$" not in root["text"] and "$<redacted>" in root["text"]
    assert result[shadow]["^[^:]+::"]["matches"][0]["line"] == 2
    assert result[shadow]["(unclosed"]["errors"][0].startswith("invalid pattern")
    missing = mod.collect_content([(str(tmp_path / "nope"), "x")])
    assert missing[str(tmp_path / "nope")]["x"] == {"files": [], "matches": [], "errors": []}


def test_scripts_report_output_exit_code_and_timeouts(mod: ModuleType):
    found = mod.run_script("printf '/srv/a\\n/srv/b\\n'", timeout=10)
    assert found["rc"] == 0 and found["lines"] == ["/srv/a", "/srv/b"] and found["line_count"] == 2
    assert mod.run_script("echo ${#HOME} >/dev/null; exit 3", timeout=10)["rc"] == 3
    # a pipeline's children are stopped too, or they would hold the output open
    assert mod.run_script("sleep 30 | cat; sleep 30", timeout=1)["error"] == "timed out after 1s"


def test_checks_travel_as_base64_json(mod: ModuleType):
    from sovcloud_infra.audit.collect import encode_checks

    checks = [{"id": "R53.x", "check": {"kind": "script", "command": "echo ${#x} {{ y }} {% z %}", "describe": "d"}}]
    assert mod.decode_checks({"checks_b64": encode_checks(checks), "checks": None}) == checks
    assert mod.decode_checks({"checks": checks, "checks_b64": None}) == checks


def test_scripts_run_concurrently_and_keep_their_own_results(mod: ModuleType):
    commands = [f"sleep 0.2; echo {n}" for n in range(6)] + ["exit 4"]
    results = mod.run_scripts(commands, timeout=10)
    assert list(results) == commands
    assert [results[c]["lines"] for c in commands[:6]] == [[str(n)] for n in range(6)]
    assert results["exit 4"]["rc"] == 4
