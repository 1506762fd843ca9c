"""The hardening role on a real kernel: a VM booted through GRUB, converged, rebooted, read back.

What the lab's containers cannot show, this shows: kernel sysctls, the kernel
command line (written by the role as a GRUB drop-in and only live after a
boot), mount options of separate partitions, auditd with its rules, the GRUB
password that must not stop an unattended boot. The scenario runs once per
module: boot, read the state, converge, read again, reboot, read with real
reads over SSH (/proc/cmdline, /proc/sys, /proc/mounts, auditctl), converge
again. The expected values are not written here: they come from the control
catalogue through the same plan the role uses, for the level under test.

The level is ``enhanced`` by default (SOVCLOUD_TEST_VM_LEVEL): it contains
every Intermediary control plus those only a real kernel has (auditd rules
R73, ``audit=1``, AppArmor R37, the IOMMU parameters R7).

The VM is a hypervisor of the region model, and before the hardening it gets
the kernel command line of a hypervisor class (roles/hypervisor/tasks/cmdline.yml)
that has everything a command line can carry (VM_HYPERVISOR_CLASS in
sovcloud_infra/vm/inventory.py): 2M hugepages, an Intel IOMMU, SMT off and
dedicated CPUs (CPU 1 isolated for guests, CPU 0 kept for the host). After
the reboot the kernel must have reserved the hugepages and isolated the CPU;
the lab's containers can only show that the file is written.

Until roles/hardening exists, a stand-in playbook (tests/vm/standin.yml)
proves the tier itself; it also runs with SOVCLOUD_TEST_VM_STANDIN=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from sovcloud_infra.hardening.plan import build_plan
from sovcloud_infra.hosts.runner import PlaybookResult
from sovcloud_infra.vm import VirtualMachine, VmImage, booted_vm, write_inventory

from .conftest import REPO, RUN_NAME, TIMINGS, leftovers

ROLE = REPO / "roles" / "hardening"
LEVEL = os.environ.get("SOVCLOUD_TEST_VM_LEVEL", "enhanced")
HOST_GROUP = "hypervisors"
HYPERVISOR_DROPIN = "/etc/default/grub.d/50-sovcloud-hypervisor.cfg"
STANDIN_FORCED = os.environ.get("SOVCLOUD_TEST_VM_STANDIN") == "1"

pytestmark = pytest.mark.vm

#: Reads the live state in one SSH round trip (each one costs seconds under TCG). Runs as root
#: through python3, which needs no exec of another program (the role sets sudo's noexec).
_SNAPSHOT = """
import json, pathlib, sys
keys = json.loads(sys.argv[1])
def sysctl(key):
    try:
        return " ".join((pathlib.Path("/proc/sys") / key.replace(".", "/")).read_text().split())
    except OSError:
        return None
def read(path):
    try:
        return pathlib.Path(path).read_text().strip()
    except OSError:
        return None
meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
mounts = {}
for line in open("/proc/self/mounts"):
    parts = line.split()
    mounts[parts[1]] = parts[3].split(",")
print(json.dumps({
    "boot_id": open("/proc/sys/kernel/random/boot_id").read().strip(),
    "cmdline": open("/proc/cmdline").read().split(),
    "mounts": mounts,
    "sysctl": {k: sysctl(k) for k in keys},
    "hugepages": {k: meminfo[k].strip() for k in ("HugePages_Total", "Hugepagesize") if k in meminfo},
    "cpus": {k: read("/sys/devices/system/cpu/" + k) for k in ("isolated", "nohz_full", "smt/control", "online")},
}))
"""


@dataclass
class Snapshot:
    boot_id: str
    cmdline: list[str]
    mounts: dict[str, list[str]]
    sysctl: dict[str, str | None]
    hugepages: dict[str, str]
    cpus: dict[str, str | None]


def snapshot(vm: VirtualMachine, sysctl_keys: list[str]) -> Snapshot:
    command = f"sudo python3 -c {shlex.quote(_SNAPSHOT)} {shlex.quote(json.dumps(sysctl_keys))}"
    return Snapshot(**json.loads(vm.ssh(command).stdout))


def describe(result: PlaybookResult) -> str:
    lines = [f"{result.playbook}: status {result.status}, rc {result.rc}, changed {result.changed}"]
    for host, outcome in result.hosts.items():
        lines += [f"  {host} failed: {f}" for f in outcome.failures]
        lines += [f"  {host} changed: {t}" for t in outcome.changed_tasks]
    if result.output_tail:
        lines.append(result.output_tail)
    return "\n".join(lines)


def grub_password_hash(password: str) -> str:
    """The ``grub-mkpasswd-pbkdf2`` format: PBKDF2-HMAC-SHA512, 10000 rounds, 64-byte salt and hash."""
    salt = secrets.token_bytes(64)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 10000, 64)
    return f"grub.pbkdf2.sha512.10000.{salt.hex().upper()}.{digest.hex().upper()}"


# --- the real role ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    vm: VirtualMachine
    plan: dict[str, list[dict[str, Any]]]
    before: Snapshot
    first: PlaybookResult
    converged: Snapshot
    rebooted: Snapshot
    second: PlaybookResult
    grub_cfg: str
    extra: dict[str, str] = field(default_factory=dict)

    def enforced(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.plan["enforce"] if c["check"] and c["check"]["kind"] == kind]

    def is_enforced(self, control_id: str) -> bool:
        return any(c["id"] == control_id for c in self.plan["enforce"])


@pytest.fixture(scope="module")
def hardened(vm_image: VmImage) -> Iterator[Scenario]:
    if not ROLE.is_dir():
        pytest.skip("roles/hardening does not exist yet: the stand-in test proves the VM tier meanwhile")
    # The plan the role computes for this host: the inventory gives it no waivers and no IPv6 address.
    plan = build_plan(LEVEL, [], [HOST_GROUP], in_container=False)
    keys = [c["check"]["key"] for c in plan["enforce"] if c["check"] and c["check"]["kind"] == "sysctl"]
    try:
        with booted_vm(f"{RUN_NAME}-hardening", image=vm_image) as vm:
            TIMINGS["boot to SSH"] = vm.boot_seconds[0]
            inventory = write_inventory(
                vm,
                host_group=HOST_GROUP,
                level=LEVEL,
                extra_host_vars={"hardening_grub_password_pbkdf2": grub_password_hash(secrets.token_urlsafe(16))},
            )
            before = snapshot(vm, keys)
            first = vm.converge(inventory, "tests/vm/hardening.yml")
            TIMINGS["converge"] = first.seconds
            assert first.succeeded, describe(first)
            converged = snapshot(vm, keys)
            TIMINGS["reboot"] = vm.reboot()
            rebooted = snapshot(vm, keys)
            extra = {
                "auditd": vm.ssh("systemctl is-active auditd", check=False).stdout.strip(),
                "auditctl": vm.ssh("sudo auditctl -l", check=False).stdout,
                "apparmor": vm.ssh("cat /sys/module/apparmor/parameters/enabled", check=False).stdout.strip(),
                "failed_units": vm.ssh("systemctl --failed --no-legend --plain", check=False).stdout.strip(),
                "hypervisor_dropin": vm.ssh(f"cat {HYPERVISOR_DROPIN}", check=False).stdout,
            }
            grub_cfg = vm.ssh("sudo cat /boot/grub/grub.cfg").stdout
            second = vm.converge(inventory, "tests/vm/hardening.yml")
            TIMINGS["second converge"] = second.seconds
            yield Scenario(vm, plan, before, first, converged, rebooted, second, grub_cfg, extra)
    finally:
        left = leftovers()
        assert not left, f"the VM tier left things behind: {left}"


def test_first_converge_succeeds(hardened: Scenario) -> None:
    assert hardened.first.succeeded, describe(hardened.first)
    assert hardened.rebooted.boot_id != hardened.converged.boot_id, "the VM did not reboot"


def test_kernel_command_line_comes_from_grub_after_the_reboot(hardened: Scenario) -> None:
    params = [c["check"]["param"] for c in hardened.enforced("cmdline")]
    assert params, f"level {LEVEL} enforces no kernel command-line parameter"
    # GRUB booted the kernel (it sets BOOT_IMAGE), and the parameters only arrive with a boot.
    assert hardened.rebooted.cmdline[0].startswith("BOOT_IMAGE="), hardened.rebooted.cmdline
    assert not set(params) & set(hardened.before.cmdline), "the image already had hardening parameters"
    assert not set(params) & set(hardened.converged.cmdline), "the command line changed without a boot?"
    missing = [p for p in params if p not in hardened.rebooted.cmdline]
    assert not missing, f"missing from /proc/cmdline after the reboot: {missing}; got {hardened.rebooted.cmdline}"
    linux_lines = [line for line in hardened.grub_cfg.splitlines() if line.strip().startswith("linux")]
    assert linux_lines and all(p in line.split() for line in linux_lines for p in params), linux_lines


def test_hypervisor_class_is_live_after_the_reboot(hardened: Scenario) -> None:
    """The class's GRUB drop-in reaches the kernel: hugepages reserved, the guest CPU isolated, SMT off."""
    dropin = hardened.extra["hypervisor_dropin"]
    prefix = 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX '
    assert prefix in dropin, f"{HYPERVISOR_DROPIN}:\n{dropin}"
    params = dropin.split(prefix, 1)[1].split('"', 1)[0].split()
    wanted = ["default_hugepagesz=2M", "hugepagesz=2M", "hugepages=32", "intel_iommu=on", "nosmt",
              "isolcpus=managed_irq,domain,1-1", "nohz_full=1-1", "rcu_nocbs=1-1", "irqaffinity=0-0"]  # fmt: skip
    if not hardened.is_enforced("R7.iommu_passthrough"):
        wanted.insert(4, "iommu=pt")
    assert params == wanted, dropin
    if hardened.is_enforced("R7.iommu_passthrough"):
        # Translated DMA (R7) and identity-mapped DMA (iommu=pt) would both be on the command line, the later
        # one silently winning: the class leaves pt off, and the kernel gets one intent.
        assert "iommu=pt" not in hardened.rebooted.cmdline and "iommu.passthrough=0" in hardened.rebooted.cmdline
    # Only a boot brings them: none before the reboot, all after it.
    assert not set(params) & set(hardened.converged.cmdline), hardened.converged.cmdline
    missing = [p for p in params if p not in hardened.rebooted.cmdline]
    assert not missing, f"missing from /proc/cmdline after the reboot: {missing}; got {hardened.rebooted.cmdline}"
    # What the kernel made of them (the VM has no IOMMU device under TCG: intel_iommu=on is proven as read,
    # not as a DMA remapping unit).
    assert hardened.converged.hugepages.get("HugePages_Total") == "0", hardened.converged.hugepages
    reserved = hardened.rebooted.hugepages
    assert reserved == {"HugePages_Total": "32", "Hugepagesize": "2048 kB"}, reserved
    assert hardened.converged.cpus["isolated"] == "", hardened.converged.cpus
    assert hardened.rebooted.cpus["isolated"] == "1", hardened.rebooted.cpus
    assert hardened.rebooted.cpus["nohz_full"] == "1", hardened.rebooted.cpus
    assert hardened.rebooted.cpus["smt/control"] != "on", hardened.rebooted.cpus
    assert hardened.rebooted.cpus["online"] == "0-1", hardened.rebooted.cpus


def test_kernel_sysctls_hold_after_the_reboot(hardened: Scenario) -> None:
    ipv6_off = "ipv6.disable=1" in hardened.rebooted.cmdline
    wrong = {}
    for control in hardened.enforced("sysctl"):
        key, want = control["check"]["key"], " ".join(control["check"]["value"].split())
        live = hardened.rebooted.sysctl[key]
        if live is None and key.startswith("net.ipv6.") and ipv6_off:
            continue  # with ipv6.disable=1 the kernel has no IPv6 at all, stronger than the sysctl
        if live != want:
            wrong[control["id"]] = f"{key} = {live!r}, want {want!r}"
    assert not wrong, f"sysctls that do not hold after the reboot: {json.dumps(wrong, indent=1)}"
    # The brief's examples, spelled out: kernel-wide values a container can never set.
    for key, want in (("kernel.dmesg_restrict", "1"), ("kernel.kptr_restrict", "2"), ("fs.protected_symlinks", "1")):
        assert hardened.rebooted.sysctl.get(key) == want, key
    ptrace = hardened.rebooted.sysctl.get("kernel.yama.ptrace_scope")
    assert ptrace is not None and int(ptrace) >= 1


def test_mount_options_hold_after_the_reboot(hardened: Scenario) -> None:
    mounts = hardened.rebooted.mounts
    checked, wrong = [], {}
    for control in hardened.enforced("mount"):
        mountpoint, options = control["check"]["mountpoint"], control["check"]["options"]
        if mountpoint not in mounts:
            continue  # no separate partition here (/opt, /srv, /usr): the control does not apply
        checked.append(mountpoint)
        lacking = [o for o in options if o not in mounts[mountpoint]]
        if lacking:
            wrong[control["id"]] = f"{mountpoint} lacks {lacking}: {','.join(mounts[mountpoint])}"
    assert not wrong, f"mount options that do not hold after the reboot: {json.dumps(wrong, indent=1)}"
    # Every separate partition of the image was checked, each with nosuid,nodev,noexec.
    for mountpoint in ("/boot", "/home", "/tmp", "/var", "/var/log", "/var/tmp"):
        assert mountpoint in checked, f"{mountpoint} is not a separate mount or has no mount control"
        assert {"nosuid", "nodev", "noexec"} <= set(mounts[mountpoint]), (mountpoint, mounts[mountpoint])


def test_auditd_runs_with_the_roles_rules_after_the_reboot(hardened: Scenario) -> None:
    if not hardened.is_enforced("R73.audit_rules"):
        pytest.skip(f"level {LEVEL} does not include R73 (auditd rules are an Enhanced control)")
    assert hardened.extra["auditd"] == "active"
    rules = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())["hardening_audit_rules"]
    loaded = hardened.extra["auditctl"]
    keys = {rule.split(" -k ")[-1].strip() for rule in rules if " -k " in rule}
    missing = [k for k in sorted(keys) if f"-k {k}" not in loaded and f"key={k}" not in loaded]
    assert not missing, f"audit keys not loaded after the reboot: {missing}\nauditctl -l:\n{loaded}"
    assert len([line for line in loaded.splitlines() if line.startswith(("-w", "-a"))]) >= len(rules), loaded


def test_apparmor_is_enabled(hardened: Scenario) -> None:
    if not hardened.is_enforced("R37.apparmor_enabled"):
        pytest.skip(f"level {LEVEL} does not include R37 (AppArmor is an Enhanced control)")
    assert hardened.extra["apparmor"] == "Y"


def test_grub_password_guards_editing_but_not_the_unattended_boot(hardened: Scenario) -> None:
    if not hardened.is_enforced("R5.grub_password"):
        pytest.skip(f"level {LEVEL} does not include R5")
    assert "password_pbkdf2" in hardened.grub_cfg and "set superusers=" in hardened.grub_cfg
    entries = [line for line in hardened.grub_cfg.splitlines() if line.lstrip().startswith("menuentry ")]
    assert entries and all("--unrestricted" in line for line in entries if "recovery" not in line), entries
    # And the VM did come back by itself after the reboot (the scenario read it over SSH).


def test_no_unit_failed_after_the_reboot(hardened: Scenario) -> None:
    assert hardened.extra["failed_units"] == "", hardened.extra["failed_units"]


def test_second_converge_changes_nothing(hardened: Scenario) -> None:
    assert hardened.second.succeeded, describe(hardened.second)
    assert hardened.second.changed == 0, describe(hardened.second)


# --- the stand-in: the tier itself, without the role ------------------------------------------------


@dataclass
class StandIn:
    before: Snapshot
    converged: Snapshot
    rebooted: Snapshot
    first: PlaybookResult
    second: PlaybookResult


@pytest.fixture(scope="module")
def standin(vm_image: VmImage) -> Iterator[StandIn]:
    if ROLE.is_dir() and not STANDIN_FORCED:
        pytest.skip("roles/hardening exists and the tests above run it; SOVCLOUD_TEST_VM_STANDIN=1 runs this too")
    keys = ["kernel.kptr_restrict"]
    try:
        with booted_vm(f"{RUN_NAME}-standin", image=vm_image) as vm:
            TIMINGS["stand-in boot to SSH"] = vm.boot_seconds[0]
            inventory = write_inventory(vm, host_group=HOST_GROUP, level="intermediary")
            before = snapshot(vm, keys)
            first = vm.converge(inventory, "tests/vm/standin.yml")
            TIMINGS["stand-in converge"] = first.seconds
            assert first.succeeded, describe(first)
            converged = snapshot(vm, keys)
            TIMINGS["stand-in reboot"] = vm.reboot()
            rebooted = snapshot(vm, keys)
            second = vm.converge(inventory, "tests/vm/standin.yml")
            yield StandIn(before, converged, rebooted, first, second)
    finally:
        left = leftovers()
        assert not left, f"the VM tier left things behind: {left}"


def test_standin_settings_hold_after_the_reboot(standin: StandIn) -> None:
    # Boot loader: the parameter is only live once GRUB boots the kernel with it.
    assert "slab_nomerge=yes" not in standin.converged.cmdline
    assert "slab_nomerge=yes" in standin.rebooted.cmdline, standin.rebooted.cmdline
    assert standin.rebooted.cmdline[0].startswith("BOOT_IMAGE=")
    # Kernel: kernel.* sysctls are the VM's own (read-only in a container).
    assert standin.before.sysctl["kernel.kptr_restrict"] != "2"
    assert standin.rebooted.sysctl["kernel.kptr_restrict"] == "2"
    # Mounts: /tmp is a partition of its own, noexec only from fstab at boot.
    assert "noexec" not in standin.converged.mounts["/tmp"]
    assert "noexec" in standin.rebooted.mounts["/tmp"], standin.rebooted.mounts["/tmp"]
    assert standin.rebooted.boot_id != standin.converged.boot_id


def test_standin_second_converge_changes_nothing(standin: StandIn) -> None:
    assert standin.second.succeeded, describe(standin.second)
    assert standin.second.changed == 0, describe(standin.second)
