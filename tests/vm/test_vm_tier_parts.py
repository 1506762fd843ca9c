"""The parts of the VM tier that need no VM: disk layout, qemu command line, inventory, run ownership.

Fast (no boot), so they run with every test session and catch a broken layout
or inventory before a 10-minute VM run would.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from sovcloud_infra.lab.proc import process_ref
from sovcloud_infra.vm import layout
from sovcloud_infra.vm.image import VmImage
from sovcloud_infra.vm.inventory import vm_host_vars
from sovcloud_infra.vm.keys import VmKey
from sovcloud_infra.vm.machine import VirtualMachine
from sovcloud_infra.vm.qemu import QemuSpec, qemu_argv
from sovcloud_infra.vm.runs import RunInUseError, run_lock, sweep_dead_runs

R28_SEPARATE = {"/boot", "/tmp", "/home", "/var", "/var/log", "/var/tmp"}


def test_layout_has_a_partition_per_mount_option_control() -> None:
    mountpoints = {p.mountpoint for _, p in layout.filesystems()}
    assert R28_SEPARATE | {"/"} == mountpoints
    order = [p.mountpoint for _, p in layout.mount_order()]
    assert order[0] == "/" and order.index("/var") < order.index("/var/log") < len(order)
    assert order.index("/var") < order.index("/var/tmp")


def test_layout_boots_from_bios_and_fills_the_disk() -> None:
    script = layout.sfdisk_script()
    assert script.startswith("label: gpt")
    assert layout.PARTITIONS[0].gpt_type == layout.BIOS_BOOT_TYPE  # where grub-install embeds core.img
    assert [p.size_mib for p in layout.PARTITIONS].count(None) == 1 and layout.PARTITIONS[-1].size_mib is None
    fixed = sum(p.size_mib or 0 for p in layout.PARTITIONS)
    assert fixed + 256 < layout.DISK_SIZE_MIB  # room left for the last partition and the GPT backup


def test_fstab_mounts_by_uuid_with_default_options() -> None:
    uuids = {p.mountpoint: f"uuid-{n}" for n, p in layout.filesystems() if p.mountpoint}
    lines = [line for line in layout.fstab(uuids).splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(uuids)
    for line in lines:
        source, mountpoint, fstype, options, _, _ = line.split()
        assert source == f"UUID={uuids[mountpoint]}" and fstype == "ext4"
        assert "noexec" not in options  # the role under test sets the options, not the image


def test_qemu_is_isolated_on_loopback(tmp_path: Path) -> None:
    argv = qemu_argv(tmp_path / "o.qcow2", tmp_path / "c.log", 40022, QemuSpec(), "/bin/helper /sock")
    netdev = argv[argv.index("-netdev") + 1]
    assert "restrict=on" in netdev  # the guest reaches nothing but the forwards
    assert "hostfwd=tcp:127.0.0.1:40022-10.0.2.15:22" in netdev
    assert "guestfwd=tcp:10.0.2.100:3142-cmd:/bin/helper /sock" in netdev
    assert argv[argv.index("-accel") + 1].startswith("tcg")
    with pytest.raises(ValueError, match="comma"):
        qemu_argv(tmp_path / "o.qcow2", tmp_path / "c.log", 1, QemuSpec(), "a,b")


def _vm(tmp_path: Path) -> VirtualMachine:
    key = VmKey(private_key=tmp_path / "id_ed25519", public_key="ssh-ed25519 AAAAvmkey sovcloud-vm-operator")
    image = VmImage(tmp_path / "disk.raw", "r", "sovcloud-vm", "alice", "sre-core", key, (), False, None, tmp_path)
    return VirtualMachine("t", image, tmp_path, 40022, process_ref(os.getpid()) or pytest.fail("no /proc"))


def test_inventory_shows_the_guest_as_the_lockout_guard_must_see_it(tmp_path: Path) -> None:
    group_vars, host = vm_host_vars(_vm(tmp_path), host_group="controllers", level="enhanced")
    # The host is its management address on port 22; the forward lives in the SSH options only.
    assert host["ansible_host"] == host["sovcloud_management_address"] == "10.0.2.15"
    assert "ansible_port" not in host
    for args in (host["ansible_ssh_args"], host["ansible_ssh_common_args"]):
        assert "-o HostName=127.0.0.1 -o Port=40022" in args
    assert host["ansible_user"] == "alice" and host["sovcloud_host_groups"] == ["controllers"]
    assert host["common_extra_authorized_keys"] == {"alice": ["ssh-ed25519 AAAAvmkey sovcloud-vm-operator"]}
    assert host["sovcloud_waivers"] == [] and host["sovcloud_hardening_level"] == "enhanced"
    assert not any(":" in i["address"] for i in host["sovcloud_interfaces"])  # no IPv6: R13 applies
    groups = {g["name"]: g for g in group_vars["sovcloud_sre_groups"]}
    assert groups["sre-core"]["sudo"] and "alice" in [m["name"] for m in groups["sre-core"]["members"]]


def test_as_a_hypervisor_the_vm_has_a_class_sized_for_its_own_cpus(tmp_path: Path) -> None:
    """The hypervisor role's assert needs fewer reserved CPUs than threads; the class must fit qemu's -smp."""
    _, host = vm_host_vars(_vm(tmp_path), host_group="hypervisors", level="enhanced")
    vm_class = host["sovcloud_hypervisor_class"]
    assert vm_class["name"] == "vm-pinned" and vm_class["cpu_policy"] == "dedicated"
    threads = host["sovcloud_hardware"]["cpu_threads"]
    assert threads == QemuSpec().cpus and vm_class["reserved_host_cpus"] < threads
    hugepages_mib = vm_class["hugepages"]["count"] * 2
    assert vm_class["hugepages"]["size"] == "2M" and hugepages_mib <= QemuSpec().memory_mib // 8
    _, controller = vm_host_vars(_vm(tmp_path), host_group="controllers", level="enhanced")
    assert "sovcloud_hypervisor_class" not in controller


def test_a_run_directory_has_one_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOVCLOUD_LAB_STATE", str(tmp_path))
    directory = tmp_path / "vm" / "mine"
    with run_lock(directory):
        with pytest.raises(RunInUseError), run_lock(directory):
            pass
        assert sweep_dead_runs() == []  # a held run is never cleared
    assert sweep_dead_runs() == [directory]


def test_sweep_stops_only_the_dead_runs_own_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOVCLOUD_LAB_STATE", str(tmp_path))
    directory = tmp_path / "vm" / "dead"
    with run_lock(directory):
        pass  # the owner is gone: its lock is free
    marker = f"sovcloud-vm:{directory / 'overlay.qcow2'}"
    stale = subprocess.Popen(["bash", "-c", f'exec -a "{marker}" sleep 60'])
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        (directory / "qemu.pid").write_text(f"{stale.pid}\n")
        (directory / "mirror").mkdir()
        (directory / "mirror" / "pid").write_text(f"{stranger.pid}\n")  # a reused PID: not ours
        time.sleep(0.2)
        assert sweep_dead_runs() == [directory]
        assert stale.wait(timeout=15) is not None
        assert stranger.poll() is None, "a process without the run's marker was stopped"
    finally:
        for proc in (stale, stranger):
            proc.kill()
            proc.wait()
