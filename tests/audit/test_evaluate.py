"""The evaluator on canned evidence: every check kind passes and fails, waivers, containers, manual controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sovcloud_infra.audit.results import NEEDS_REASON, AuditReport, ResultStatus
from sovcloud_infra.hardening.catalogue import Catalogue

from .conftest import TODAY, UNOWNED, audit, compliant_evidence, context, statuses

MANUAL = {"R30": "manual", "R2": "manual", "R50.review": "manual"}
AUTOMATED = [
    "R9.dmesg_restrict",
    "R11.ptrace_scope",
    "R12.accept_redirects_all",
    "R12.ip_forward",
    "R12.ip_local_port_range",
    "R8.pti",
    "R28.tmp",
    "R28.var_noexec",
    "R50.shadow",
    "R50.sudoers_d",
    "R53.unowned",
    "R62.packages",
    "R62.services",
    "R68.yescrypt",
    "R68.no_empty",
    "SSH-R5.root_login",
    "SSH-R5.ciphers",
]


def test_a_compliant_host_passes_every_automated_control(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence())
    assert host.error is None and host.warnings == []
    assert statuses(host) == {**dict.fromkeys(AUTOMATED, "pass"), **MANUAL}
    assert host.score == 1.0
    assert all(r.summary for r in host.results if r.status == ResultStatus.passed)


def test_levels_are_cumulative(catalogue: Catalogue):
    intermediary = statuses(audit(catalogue, compliant_evidence()))
    assert "R37.apparmor" not in intermediary
    minimal = statuses(audit(catalogue, compliant_evidence(), context(level="minimal")))
    assert set(minimal) == {
        "R30",
        "R53.unowned",
        "R62.packages",
        "R62.services",
        "R68.yescrypt",
        "R68.no_empty",
        "SSH-R5.root_login",
        "SSH-R5.ciphers",
    }
    evidence = compliant_evidence()
    evidence["services"]["units"]["nonexistent-enhanced-only"] = {
        **evidence["services"]["units"]["tftpd-hpa"],
        "unit": "nonexistent-enhanced-only.service",
    }
    assert statuses(audit(catalogue, evidence, context(level="enhanced")))["R37.apparmor"] == "pass"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation of the canned evidence: `path` is the keys joined with '¦' (shell checks contain '|')."""

    def mutate(evidence: dict[str, Any]) -> None:
        *parents, last = path.split("¦")
        target: Any = evidence
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


SYS = "sysctl¦keys¦"
CMD = "cmdline¦"
MNT = "mounts¦mountpoints¦"

# (control, mutation, words the failure's summary must contain)
FAILURES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("R12.accept_redirects_all", _set(SYS + "net.ipv4.conf.all.accept_redirects¦live", "1"), ["live 1"]),
    ("R12.accept_redirects_all", _set(SYS + "net.ipv4.conf.all.accept_redirects¦persisted", "1"), ["persisted 1"]),
    ("R12.accept_redirects_all", _set(SYS + "net.ipv4.conf.all.accept_redirects¦persisted", None), ["not persisted"]),
    ("R12.ip_local_port_range", _set(SYS + "net.ipv4.ip_local_port_range¦live", "32768\t60999"), ["live 32768"]),
    ("R8.pti", _set(CMD + "live", ["ro", "quiet"]), ["running kernel"]),
    ("R8.pti", _set(CMD + "live", ["pti=on", "pti=off"]), ["running kernel"]),
    ("R8.pti", _set(CMD + "grub_default¦params", ["quiet"]), ["GRUB_CMDLINE_LINUX"]),
    ("R8.pti", _set(CMD + "grub_default¦files", []), ["no /etc/default/grub"]),
    ("R8.pti", _set(CMD + "grub_cfg¦default_params", ["ro"]), ["grub.cfg"]),
    ("R8.pti", _set(CMD + "grub_cfg¦exists", False), ["no /boot/grub/grub.cfg"]),
    ("R28.tmp", _set(MNT + "/tmp¦live¦options", ["rw", "nosuid", "nodev"]), ["mounted without noexec"]),
    ("R28.tmp", _set(MNT + "/tmp¦fstab¦options", ["nosuid"]), ["/etc/fstab lacks nodev,noexec"]),
    ("R28.tmp", _set(MNT + "/tmp¦fstab", None), ["not persisted"]),
    ("R28.tmp", _set(MNT + "/tmp¦live", None), ["not mounted"]),
    ("R50.shadow", _set("files¦/etc/shadow¦files¦0¦mode", "0644"), ["/etc/shadow: mode 0644"]),
    ("R50.shadow", _set("files¦/etc/gshadow¦files¦0¦owner", "alice"), ["owner alice"]),
    ("R50.shadow", _set("files¦/etc/gshadow¦files¦0¦group", "root"), ["group root"]),
    ("R50.sudoers_d", _set("files¦/etc/sudoers.d/*¦files¦1¦mode", "4440"), ["README: mode 4440"]),
    ("R53.unowned", _set(f"scripts¦{UNOWNED}¦lines", ["/srv/x"]), ["a file without a known owner"]),
    ("R53.unowned", _set(f"scripts¦{UNOWNED}¦rc", 2), ["exited 2"]),
    ("R53.unowned", _set(f"scripts¦{UNOWNED}¦error", "timed out after 300s"), ["timed out"]),
    ("R62.packages", _set("packages¦installed¦telnet", {"telnet": "0.17+2.4-2"}), ["installed: telnet 0.17+2.4-2"]),
    ("R62.packages", _set("packages¦installed¦rsh-*", {"rsh-server": "0.17-24"}), ["rsh-server"]),
    ("R62.services", _set("services¦units¦tftpd-hpa¦enabled", True), ["tftpd-hpa.service enabled"]),
    ("R62.services", _set("services¦units¦telnet.socket¦running", True), ["telnet.socket running"]),
    ("SSH-R5.root_login", _set("sshd¦config¦permitrootlogin", ["yes"]), ["'yes'"]),
    ("SSH-R5.root_login", _set("sshd¦config¦permitrootlogin", None), ["does not report"]),
    ("SSH-R5.ciphers", _set("sshd¦config¦ciphers", ["aes256-gcm@openssh.com"]), ["lacks aes256-ctr"]),
    ("SSH-R5.ciphers", _set("sshd¦config¦ciphers", ["aes256-ctr,aes128-cbc"]), ["has aes128-cbc"]),
    ("R68.yescrypt", _set("content¦/etc/login.defs¦^\\s*ENCRYPT_METHOD\\s+YESCRYPT\\b¦matches", []), ["no line"]),
    ("R68.yescrypt", _set("content¦/etc/login.defs¦^\\s*ENCRYPT_METHOD\\s+YESCRYPT\\b¦files", []), ["does not exist"]),
    (
        "R68.no_empty",
        _set("content¦/etc/shadow¦^[^:]+::¦matches", [{"path": "/etc/shadow", "line": 3, "text": "bob::1:0:::::"}]),
        ["1 line(s) match", "bob::"],
    ),
]


@pytest.mark.parametrize(
    ("control", "mutate", "words"), FAILURES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(FAILURES)]
)
def test_each_check_kind_fails_on_the_broken_state_and_nothing_else_moves(
    catalogue: Catalogue, control: str, mutate: Callable[[dict[str, Any]], None], words: list[str]
):
    evidence = compliant_evidence()
    mutate(evidence)
    host = audit(catalogue, evidence)
    result = next(r for r in host.results if r.control == control)
    assert result.status == ResultStatus.failed, result
    for word in words:
        assert word in (result.summary or ""), result.summary
    assert result.reason == result.summary and result.evidence
    expected = {**dict.fromkeys(AUTOMATED, "pass"), **MANUAL, control: "fail"}
    assert statuses(host) == expected


def test_passing_evidence_is_kept_for_the_auditor(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence())
    results = {r.control: r for r in host.results}
    assert results["R12.ip_forward"].evidence["persisted_source"] == "/etc/sysctl.d/60-sovcloud.conf:3"
    assert results["R50.shadow"].evidence["files"][0]["mode"] == "0640"
    assert results["SSH-R5.root_login"].evidence["effective"] == ["no"]
    assert results["R62.services"].summary == "telnet.socket absent, rsh.socket absent, tftpd-hpa.service absent"


def test_sysctl_drift_between_live_and_persisted_is_a_fail_with_both_values(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["sysctl"]["keys"]["net.ipv4.conf.all.accept_redirects"]["live"] = "1"  # sysctl -w after boot
    result = next(r for r in audit(catalogue, evidence).results if r.control == "R12.accept_redirects_all")
    assert result.status == ResultStatus.failed
    assert result.evidence["live"] == "1" and result.evidence["persisted"] == "0"
    assert "drift" in (result.summary or "")
    evidence = compliant_evidence()
    evidence["sysctl"]["keys"]["net.ipv4.conf.all.accept_redirects"]["persisted"] = "1"  # not applied yet
    result = next(r for r in audit(catalogue, evidence).results if r.control == "R12.accept_redirects_all")
    assert result.status == ResultStatus.failed and "drift" in (result.summary or "")


@pytest.mark.parametrize(("live", "status"), [("1", "pass"), ("3", "pass"), ("0", "fail"), ("x", "fail")])
def test_at_least_comparisons(catalogue: Catalogue, live: str, status: str):
    evidence = compliant_evidence()
    evidence["sysctl"]["keys"]["kernel.yama.ptrace_scope"].update(live=live, persisted=live)
    assert statuses(audit(catalogue, evidence))["R11.ptrace_scope"] == status


def test_a_mount_point_that_is_not_a_separate_partition_is_not_applicable_with_the_reason(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["mounts"]["mountpoints"]["/tmp"] = {"live": None, "fstab": None, "unit": None}
    result = next(r for r in audit(catalogue, evidence).results if r.control == "R28.tmp")
    assert result.status == ResultStatus.not_applicable
    assert "not a separate partition" in (result.reason or "")


def test_a_mount_unit_persists_options_like_fstab(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["mounts"]["mountpoints"]["/tmp"]["fstab"] = None
    evidence["mounts"]["mountpoints"]["/tmp"]["unit"] = {
        "path": "/etc/systemd/system/tmp.mount",
        "options": ["mode=1777", "nosuid", "nodev", "noexec"],
        "error": None,
    }
    assert statuses(audit(catalogue, evidence))["R28.tmp"] == "pass"


def test_hidepid_is_recognised_under_the_kernels_new_name():
    from sovcloud_infra.audit.checks import evaluate_check
    from sovcloud_infra.hardening.catalogue import MountCheck

    check = MountCheck(kind="mount", mountpoint="/proc", options=["hidepid=2"])
    evidence = {
        "mounts": {
            "mountpoints": {
                "/proc": {
                    "live": {"device": "proc", "fstype": "proc", "options": ["rw", "hidepid=invisible"]},
                    "fstab": {"device": "proc", "fstype": "proc", "options": ["defaults", "hidepid=2"]},
                    "unit": None,
                }
            }
        }
    }
    assert evaluate_check(check, evidence).status == "pass"


def test_no_file_matching_a_glob_passes_and_says_so(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["files"]["/etc/sudoers.d/*"]["files"] = []
    result = next(r for r in audit(catalogue, evidence).results if r.control == "R50.sudoers_d")
    assert result.status == ResultStatus.passed and "no file matches" in (result.summary or "")


@pytest.mark.parametrize(
    "kind", ["sysctl", "cmdline", "mounts", "files", "packages", "services", "sshd", "content", "scripts"]
)
def test_missing_evidence_is_a_fail_never_a_pass(catalogue: Catalogue, kind: str):
    evidence = compliant_evidence()
    del evidence[kind]
    evidence["errors"] = [f"{kind}: PermissionError: denied"]
    host = audit(catalogue, evidence)
    touched = [r for r in host.results if r.status == ResultStatus.failed]
    assert touched, kind
    assert all(f"no {kind} evidence collected" in (r.summary or "") for r in touched)
    assert all("PermissionError" in (r.summary or "") for r in touched)
    assert f"evidence: {kind}: PermissionError: denied" in host.warnings


def test_collector_errors_are_fails(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["sshd"] = {"error": "sshd -T failed (rc=255): /etc/ssh/sshd_config line 3: bad option", "config": {}}
    evidence["packages"] = {"error": "PermissionError", "installed": {}}
    evidence["services"] = {"error": "systemctl not found", "units": {}}
    host = statuses(audit(catalogue, evidence))
    assert [c for c, s in host.items() if s == "fail"] == [
        "R62.packages",
        "R62.services",
        "SSH-R5.root_login",
        "SSH-R5.ciphers",
    ]


# --------------------------------------------------------------------------- waivers


def waiver(control: str, group: str = "controllers", expires: str = "2027-11-30") -> dict[str, str]:
    return {
        "control": control,
        "host_group": group,
        "justification": "keepalived VRRP needs it",
        "owner": "sre-core",
        "expires": expires,
    }


def test_a_waiver_for_the_control_makes_it_waived_with_justification_owner_and_expiry(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["sysctl"]["keys"]["net.ipv4.ip_forward"].update(live="1", persisted="1")
    host = audit(catalogue, evidence, context(waivers=[waiver("R12.ip_forward")]))
    result = next(r for r in host.results if r.control == "R12.ip_forward")
    assert result.status == ResultStatus.waived
    assert result.reason == "keepalived VRRP needs it (owner sre-core, expires 2027-11-30)"
    assert result.waiver is not None and result.waiver.owner == "sre-core" and result.waiver.expires == "2027-11-30"
    assert result.evidence["status_without_waiver"] == "fail" and result.evidence["live"] == "1"
    assert statuses(host) == {**dict.fromkeys(AUTOMATED, "pass"), **MANUAL, "R12.ip_forward": "waived"}


def test_a_waiver_for_the_recommendation_covers_its_controls(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12")]))
    got = statuses(host)
    assert [c for c, s in got.items() if s == "waived"] == [
        "R12.accept_redirects_all",
        "R12.ip_forward",
        "R12.ip_local_port_range",
    ]


def test_the_control_waiver_speaks_before_the_recommendation_waiver(catalogue: Catalogue):
    specific = {**waiver("R12.ip_forward"), "justification": "Neutron routes"}
    host = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12"), specific]))
    result = next(r for r in host.results if r.control == "R12.ip_forward")
    assert result.reason is not None and result.reason.startswith("Neutron routes")


def test_an_expired_waiver_does_not_apply_and_is_reported(catalogue: Catalogue):
    evidence = compliant_evidence()
    evidence["sysctl"]["keys"]["net.ipv4.ip_forward"].update(live="1", persisted="1")
    host = audit(catalogue, evidence, context(waivers=[waiver("R12.ip_forward", expires="2026-11-28")]))
    result = next(r for r in host.results if r.control == "R12.ip_forward")
    assert result.status == ResultStatus.failed
    assert result.evidence["expired_waivers"][0]["expires"] == "2026-11-28"
    assert "R12.ip_forward: waiver for controllers expired on 2026-11-28" in host.warnings


def test_a_waiver_is_valid_through_its_expiry_day(catalogue: Catalogue):
    host = audit(
        catalogue, compliant_evidence(), context(waivers=[waiver("R12.ip_forward", expires=TODAY.isoformat())])
    )
    assert statuses(host)["R12.ip_forward"] == "waived"


def test_a_waiver_for_another_group_does_not_apply_but_all_does(catalogue: Catalogue):
    other = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12.ip_forward", group="hypervisors")]))
    assert statuses(other)["R12.ip_forward"] == "pass"
    everyone = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12.ip_forward", group="all")]))
    assert statuses(everyone)["R12.ip_forward"] == "waived"


def test_a_waiver_for_an_unknown_control_is_a_warning(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12.no_such_control")]))
    assert host.warnings == ["waiver for unknown control R12.no_such_control (group controllers)"]


def test_malformed_waivers_are_a_host_error(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence(), context(waivers=[waiver("R12.ip_forward", expires="soon")]))
    assert host.error is not None and "malformed sovcloud_waivers" in host.error and host.results == []


# --------------------------------------------------------------------------- containers and manual controls


def test_in_a_container_kernel_boot_and_partition_controls_are_not_applicable_never_pass(catalogue: Catalogue):
    evidence = compliant_evidence(container="systemd-nspawn")  # evidence that would pass, on purpose
    host = audit(catalogue, evidence)
    assert host.container == "systemd-nspawn"
    got = statuses(host)
    not_applicable = ["R9.dmesg_restrict", "R11.ptrace_scope", "R8.pti", "R28.tmp", "R28.var_noexec"]
    assert [c for c, s in got.items() if s == "not-applicable"] == not_applicable
    for result in host.results:
        if result.control in not_applicable:
            assert result.reason is not None and result.reason.startswith("container (systemd-nspawn): ")
            assert result.reason.endswith(str(catalogue.control(result.control).container_reason))
    assert got["R12.accept_redirects_all"] == "pass"  # net.* sysctls are per namespace: still judged


def test_not_applicable_in_a_container_outranks_a_waiver_and_keeps_it(catalogue: Catalogue):
    host = audit(
        catalogue,
        compliant_evidence(container="systemd-nspawn"),
        context(groups=["hypervisors"], waivers=[waiver("R28.var_noexec", group="hypervisors")]),
    )
    result = next(r for r in host.results if r.control == "R28.var_noexec")
    assert result.status == ResultStatus.not_applicable and result.waiver is not None


def test_manual_and_organisational_recommendations_are_manual_with_the_reason(catalogue: Catalogue):
    results = {r.control: r for r in audit(catalogue, compliant_evidence()).results}
    assert results["R30"].status == ResultStatus.manual
    assert results["R30"].reason == "which accounts are unused is decided by the account owners' review"
    assert results["R2"].reason is not None and "BMC" in results["R2"].reason
    assert results["R50.review"].status == ResultStatus.manual
    assert results["R50.review"].reason == "the list of sensitive files beyond the system's is reviewed by hand"


def test_every_result_that_is_not_a_verdict_carries_a_reason(catalogue: Catalogue):
    host = audit(
        catalogue,
        compliant_evidence(container="systemd-nspawn"),
        context(waivers=[waiver("R12.ip_forward"), waiver("R28.tmp")]),
    )
    seen = {r.status for r in host.results}
    assert seen >= NEEDS_REASON
    assert all(r.reason for r in host.results if r.status in NEEDS_REASON)


def test_an_unknown_level_is_a_host_error(catalogue: Catalogue):
    host = audit(catalogue, compliant_evidence(), context(level="paranoid"))
    assert host.error is not None and "paranoid" in host.error


def test_scores_and_exit_codes(catalogue: Catalogue):
    good = audit(catalogue, compliant_evidence())
    evidence = compliant_evidence()
    evidence["sshd"]["config"]["permitrootlogin"] = ["yes"]
    bad = audit(catalogue, evidence)
    assert bad.score == pytest.approx(16 / 17)
    report = AuditReport(stack="s", catalogue_version=1, generated="now", seconds=1.0, hosts=[good])
    assert report.exit_code == 0
    report.hosts.append(bad)
    assert report.exit_code == 2 and report.score == pytest.approx(33 / 34)
    report.errors.append("inventory failed")
    assert report.exit_code == 1
