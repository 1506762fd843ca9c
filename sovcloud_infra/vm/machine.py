"""One booted VM: SSH into it, reboot it, stop it, and always clean up after it.

``booted_vm()`` is the entry point: it builds (or reuses) the image, starts
qemu on a fresh overlay, waits until the operator can log in over SSH and
yields a :class:`VirtualMachine`. Whatever happens inside the ``with`` block,
the VM is powered off (SIGKILL as the last resort, by PID and start time) and
its overlay deleted; the console log stays in the run directory for diagnosis.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovcloud_infra.hosts.runner import PlaybookResult, run_playbook
from sovcloud_infra.lab.proc import ProcessRef, is_alive, stop_processes
from sovcloud_infra.lab.progress import ProgressCallback, Reporter

from .errors import VmBootError, VmError
from .image import VmImage, ensure_vm_image
from .mirror import VmMirror, start_mirror
from .paths import run_dir
from .qemu import GUEST_ADDRESS, QemuSpec, create_overlay, free_port, start
from .runs import clear_dead_run, run_lock, sweep_dead_runs

#: A boot under TCG takes 20-60 s on two idle cores; on a machine loaded by labs
#: converging beside it, emulation slows down tenfold.
BOOT_TIMEOUT = 600.0
POWEROFF_TIMEOUT = 90.0


@dataclass
class VirtualMachine:
    """A running VM of one run directory, reached on 127.0.0.1:``ssh_port``."""

    name: str
    image: VmImage
    directory: Path
    ssh_port: int
    process: ProcessRef
    mirror: VmMirror | None = None
    boot_seconds: list[float] = field(default_factory=list)
    """Seconds from qemu start (or reboot request) to a working SSH login, per boot."""

    @property
    def console_log(self) -> Path:
        return self.directory / "console.log"

    @property
    def qemu_log(self) -> Path:
        return self.directory / "qemu.log"

    @property
    def overlay(self) -> Path:
        return self.directory / "overlay.qcow2"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def control_dir(self) -> Path:
        """Ansible's SSH ControlMaster sockets for this VM, closed before a reboot and when it stops."""
        return self.directory / "cm"

    @property
    def control_path(self) -> Path:
        """One socket: one host, one user. Not ``%C`` (40 characters): a unix socket path has at most
        107 bytes, and ssh adds 17 more while it sets the socket up."""
        return self.control_dir / "ssh"

    @property
    def user(self) -> str:
        return self.image.operator_user

    @property
    def stack_name(self) -> str:
        """The name the playbook runner files this VM's facts under (its fact cache directory)."""
        return f"vm-{self.name}"

    @property
    def fact_cache(self) -> Path:
        return Path.home() / ".cache" / "sovcloud-infra" / "facts" / self.stack_name

    def converge(self, inventory: Path, playbook: str, **kwargs: Any) -> PlaybookResult:
        """Run a playbook on the VM through the project's runner (ansible-runner), with this run's inventory."""
        return run_playbook(self.stack_name, playbook, inventory=inventory, **kwargs)

    def ssh_options(self, connect_timeout: int = 10) -> list[str]:
        """Options that pin the image's host keys and use only the VM tier's key."""
        return [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", f"ConnectTimeout={connect_timeout}",
            "-o", "LogLevel=ERROR",
            "-i", str(self.image.key.private_key),
            "-p", str(self.ssh_port),
        ]  # fmt: skip

    def ssh(self, command: str, *, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a shell command on the VM as the operator (prefix ``sudo`` for root)."""
        proc = subprocess.run(
            ["ssh", *self.ssh_options(), f"{self.user}@127.0.0.1", command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise VmError(f"ssh {command!r} on the VM exited {proc.returncode}: {proc.stderr.strip() or proc.stdout}")
        return proc

    def boot_id(self) -> str:
        """The kernel's random ID of the current boot: it changes with every boot."""
        return self.ssh("cat /proc/sys/kernel/random/boot_id").stdout.strip()

    def wait_for_ssh(self, timeout: float = BOOT_TIMEOUT, *, not_boot_id: str | None = None) -> str:
        """Poll until the operator can log in (into a boot other than ``not_boot_id``); return the boot ID."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not is_alive(self.process):
                raise VmBootError("qemu exited before SSH answered", self.console_log, self._tail())
            try:
                proc = self.ssh("cat /proc/sys/kernel/random/boot_id", check=False, timeout=30)
            except subprocess.TimeoutExpired:
                continue
            boot_id = proc.stdout.strip()
            if proc.returncode == 0 and boot_id and boot_id != not_boot_id:
                return boot_id
            time.sleep(2)
        raise VmBootError(f"did not answer over SSH on 127.0.0.1:{self.ssh_port} within {timeout:.0f}s",
                          self.console_log, self._tail())  # fmt: skip

    def reboot(self, timeout: float = BOOT_TIMEOUT) -> float:
        """Reboot through systemd and wait for the new boot; return the seconds it took."""
        before = self.boot_id()
        started = time.monotonic()
        self.close_connections()
        # --no-block: the exit status arrives before the connection drops; the boot ID tells the rest.
        self.ssh("sudo systemctl reboot --no-block", timeout=60)
        # Facts cached before the reboot (mounts, command line) would mislead the next run.
        shutil.rmtree(self.fact_cache, ignore_errors=True)
        self.wait_for_ssh(timeout, not_boot_id=before)
        seconds = time.monotonic() - started
        self.boot_seconds.append(seconds)
        return seconds

    def close_connections(self) -> None:
        """Ask Ansible's ControlMaster processes for this VM to exit (they would outlive a reboot)."""
        if not self.control_dir.is_dir():
            return
        for sock in self.control_dir.iterdir():
            with contextlib.suppress(subprocess.TimeoutExpired):
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "sovcloud-vm"],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=10,
                    check=False,
                )

    def poweroff(self, timeout: float = POWEROFF_TIMEOUT) -> None:
        """Clean shutdown through systemd; qemu exits when the guest powers off. Kill it if it does not."""
        self.close_connections()
        requested = False
        if is_alive(self.process):
            with contextlib.suppress(subprocess.TimeoutExpired):
                requested = self.ssh("sudo systemctl poweroff --no-block", check=False, timeout=30).returncode == 0
        # Without a request (SSH never came up), waiting would only delay the kill.
        deadline = time.monotonic() + (timeout if requested else 0)
        while is_alive(self.process) and time.monotonic() < deadline:
            time.sleep(0.5)
        # SIGTERM makes qemu exit at once (a pulled plug), SIGKILL follows if needed.
        stop_processes([self.process], timeout=10)

    def _tail(self, lines: int = 25) -> str:
        parts = []
        for log in (self.console_log, self.qemu_log):
            with contextlib.suppress(OSError):
                text = log.read_text(errors="replace").strip()
                if text:
                    parts.append("\n".join(text.splitlines()[-lines:]))
        return "\n---\n".join(parts)


def write_known_hosts(path: Path, port: int, host_public_keys: tuple[str, ...]) -> None:
    """Pin the image's host keys for ``[127.0.0.1]:port`` (the forward) and the guest's own address."""
    names = f"[127.0.0.1]:{port},{GUEST_ADDRESS}"
    path.write_text("".join(f"{names} {key}\n" for key in host_public_keys))


@contextlib.contextmanager
def booted_vm(
    name: str = "default",
    *,
    spec: QemuSpec | None = None,
    image: VmImage | None = None,
    mirror: bool = True,
    boot_timeout: float = BOOT_TIMEOUT,
    progress: ProgressCallback | None = None,
) -> Iterator[VirtualMachine]:
    """Boot a VM from the cached image (built first if needed) and always stop and clean it up.

    ``name`` picks the run directory (/var/lib/sovcloud-lab/vm/<name>), locked while
    the VM runs: a name in use by another live process is refused, and what dead
    processes left in any run directory is cleared first (see runs.py). ``mirror``
    gives the guest a package mirror (see mirror.py); without it apt inside the VM
    reaches nothing.
    """
    report = Reporter(progress)
    image = image or ensure_vm_image(progress)
    directory = run_dir(name)
    # Every step that takes something registers its undo at once; ExitStack runs them all
    # in reverse order even when one of them fails, then re-raises.
    with contextlib.ExitStack() as cleanup:
        sweep_dead_runs()
        cleanup.enter_context(run_lock(directory))
        clear_dead_run(directory)
        apt_mirror = None
        if mirror:
            apt_mirror = start_mirror(directory / "mirror")
            cleanup.callback(apt_mirror.stop)
        control_dir = directory / "cm"
        if len(str(control_dir / "ssh")) + 17 > 107:
            raise VmError(f"run name {name!r} is too long: the SSH control socket under {control_dir} would not fit")
        control_dir.mkdir(mode=0o700)
        cleanup.callback(shutil.rmtree, control_dir, ignore_errors=True)
        overlay = directory / "overlay.qcow2"
        cleanup.callback(overlay.unlink, missing_ok=True)
        create_overlay(image.disk, overlay)
        port = free_port()
        write_known_hosts(directory / "known_hosts", port, image.host_public_keys)
        report("vm", f"starting qemu (TCG, SSH on 127.0.0.1:{port}); console: {directory / 'console.log'}")
        started = time.monotonic()
        process = start(overlay, directory / "console.log", directory / "qemu.log", port, spec or QemuSpec(),
                        apt_mirror.forward_command if apt_mirror else None)  # fmt: skip
        pid_file = directory / "qemu.pid"
        pid_file.write_text(f"{process.pid}\n")
        cleanup.callback(pid_file.unlink, missing_ok=True)
        vm = VirtualMachine(name, image, directory, port, process, apt_mirror)
        cleanup.callback(shutil.rmtree, vm.fact_cache, ignore_errors=True)
        cleanup.callback(vm.poweroff)
        cleanup.callback(report, "vm", "powering off")
        shutil.rmtree(vm.fact_cache, ignore_errors=True)
        vm.wait_for_ssh(boot_timeout)
        vm.boot_seconds.append(time.monotonic() - started)
        report("vm", f"SSH up after {vm.boot_seconds[-1]:.0f}s")
        yield vm
