"""The VM's package mirror: an apt-cacher-ng of its own, reached by the guest through qemu.

Roles install packages through apt (``cache_valid_time`` refreshes the
indexes), and a production host may only use the operator's mirror; the VM
likewise reaches nothing but this mirror. qemu's user network runs in
``restrict`` mode and forwards the guest's connections to
``image.GUEST_MIRROR`` to apt-cacher-ng's own inetd helper (``in.acng``), one
process per connection, which talks to the daemon over its unix socket. The
daemon shares the lab's package cache, so a package downloaded once serves
every lab and VM run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from sovcloud_infra.lab.mirror import BACKEND, BINARY
from sovcloud_infra.lab.paths import apt_cache_dir
from sovcloud_infra.lab.proc import ProcessRef, is_alive, spawn_daemon, stop_processes

from .errors import VmError

INETD_HELPER = "/usr/lib/apt-cacher-ng/in.acng"
#: apt-cacher-ng's port; each run binds it on its own loopback address (127.x.y.z).
PORT = 3142


@dataclass(frozen=True)
class VmMirror:
    """A running apt-cacher-ng and the command qemu runs per guest connection."""

    process: ProcessRef
    directory: Path
    bind_address: str

    @property
    def socket(self) -> Path:
        return self.directory / "socket"

    @property
    def log(self) -> Path:
        return self.directory / "apt-cacher-ng.out.log"

    @property
    def forward_command(self) -> str:
        """The qemu ``guestfwd`` command: stdin and stdout are the guest's connection."""
        return f"{INETD_HELPER} {self.socket}"

    def stop(self) -> None:
        stop_processes([self.process], timeout=10)


def loopback_address(directory: Path) -> str:
    """A loopback address of its own for the run (all of 127/8 is local): no port to collide on."""
    digest = hashlib.sha256(str(directory).encode()).digest()
    return f"127.{digest[0]}.{digest[1]}.{max(digest[2], 2)}"


def write_config(directory: Path, bind_address: str) -> Path:
    """The daemon's config dir: Debian backend, the shared cache, socket and logs in ``directory``."""
    conf = directory / "conf"
    logs = directory / "log"
    for d in (conf, logs, apt_cache_dir()):
        d.mkdir(parents=True, exist_ok=True)
    (conf / "backends_debian").write_text(BACKEND + "\n")
    (conf / "acng.conf").write_text(
        "# written by sovcloud_infra.vm.mirror\n"
        f"CacheDir: {apt_cache_dir()}\n"
        f"LogDir: {logs}\n"
        "SupportDir: /usr/lib/apt-cacher-ng\n"
        f"Port: {PORT}\n"
        f"BindAddress: {bind_address}\n"
        f"SocketPath: {directory / 'socket'}\n"
        f"PidFile: {directory / 'pid'}\n"
        "ForeGround: 1\n"
        "Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian\n"
        "Remap-secdeb: security.debian.org security.debian.org/debian-security "
        "deb.debian.org/debian-security /debian-security ; deb.debian.org/debian-security\n"
        "ExThreshold: 4\n"
    )
    return conf


def start_mirror(directory: Path, timeout: float = 15.0) -> VmMirror:
    """Start the daemon and wait for its unix socket; the caller stops it (``VmMirror.stop``)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "socket").unlink(missing_ok=True)
    bind = loopback_address(directory)
    conf = write_config(directory, bind)
    log = directory / "apt-cacher-ng.out.log"
    ref = spawn_daemon([BINARY, "-c", str(conf), "ForeGround=1"], log)
    mirror = VmMirror(process=ref, directory=directory, bind_address=bind)
    deadline = time.monotonic() + timeout
    while not mirror.socket.exists():
        if not is_alive(ref):
            raise VmError(f"apt-cacher-ng for the VM exited at start; see {log}")
        if time.monotonic() > deadline:
            mirror.stop()
            raise VmError(f"apt-cacher-ng for the VM made no socket within {timeout:.0f}s; see {log}")
        time.sleep(0.1)
    return mirror
