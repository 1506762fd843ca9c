"""The lab's package mirror: apt-cacher-ng on the mirror bridge's gateway address.

The hosts have no route out (no IP forwarding on the machine), exactly like
production hosts that may only use the operator's mirror. apt-cacher-ng is a
real caching proxy: it runs here with its own config dir per lab (so it does
not depend on or disturb the Debian package's service), listens only on the
bridge address, and keeps its cache under the cache root so packages
downloaded by one lab serve the next.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from .errors import LabError
from .paths import LabPaths, apt_cache_dir
from .proc import ProcessRef, is_alive, spawn_daemon

PORT = 3142
BACKEND = "http://deb.debian.org/debian/"
BINARY = "/usr/sbin/apt-cacher-ng"


def mirror_url(bind_ip: str) -> str:
    return f"http://{bind_ip}:{PORT}/deb.debian.org/debian"


def write_config(paths: LabPaths, bind_ip: str) -> Path:
    """Write this lab's apt-cacher-ng config dir and return it.

    The default Debian backend (ftp.debian.org) does not resolve on these
    machines, hence the explicit deb.debian.org backend. Socket and pid file are
    moved into the lab's dir so two labs (or the system service) never collide.
    """
    conf = paths.mirror_dir / "conf"
    logs = paths.mirror_dir / "log"
    for d in (conf, logs, apt_cache_dir()):
        d.mkdir(parents=True, exist_ok=True)
    (conf / "backends_debian").write_text(BACKEND + "\n")
    (conf / "acng.conf").write_text(
        "# written by sovcloud_infra.lab.mirror\n"
        f"CacheDir: {apt_cache_dir()}\n"
        f"LogDir: {logs}\n"
        "SupportDir: /usr/lib/apt-cacher-ng\n"
        f"Port: {PORT}\n"
        f"BindAddress: {bind_ip}\n"
        f"SocketPath: {paths.mirror_dir / 'socket'}\n"
        f"PidFile: {paths.mirror_dir / 'pid'}\n"
        "ForeGround: 1\n"
        "Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian\n"
        "Remap-secdeb: security.debian.org security.debian.org/debian-security "
        "deb.debian.org/debian-security /debian-security ; deb.debian.org/debian-security\n"
        "ReportPage: acng-report.html\n"
        "ExThreshold: 4\n"
        "FollowIndexFileRemoval: 1\n"
    )
    return conf


def _port_taken(bind_ip: str) -> bool:
    """True if something already accepts connections on bind_ip:3142 (for example the
    Debian package's own apt-cacher-ng listening on all addresses)."""
    try:
        with socket.create_connection((bind_ip, PORT), timeout=0.5):
            return True
    except OSError:
        return False


def is_listening(bind_ip: str) -> bool:
    """True if a socket listens on exactly bind_ip:3142 (not a wildcard address).

    A plain connect is not proof that *our* apt-cacher-ng bound: one listening
    on 0.0.0.0 would answer too, while ours logged "Address already in use".
    """
    ip_hex = socket.inet_aton(bind_ip)[::-1].hex().upper()
    wanted = f"{ip_hex}:{PORT:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[1] == wanted and fields[3] == "0A":  # 0A = LISTEN
            return True
    return False


def start(paths: LabPaths, bind_ip: str) -> ProcessRef:
    """Start apt-cacher-ng in the foreground (supervised by PID); the caller records the ref."""
    if _port_taken(bind_ip):
        raise LabError(
            f"port {PORT} on {bind_ip} is already taken (the system apt-cacher-ng? "
            "stop it with `/etc/init.d/apt-cacher-ng stop`, the lab runs its own)"
        )
    conf = write_config(paths, bind_ip)
    return spawn_daemon([BINARY, "-c", str(conf), "ForeGround=1"], paths.mirror_log)


def wait_ready(ref: ProcessRef, bind_ip: str, log: Path, timeout: float = 15.0) -> None:
    """Block until the mirror accepts connections, or fail naming its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(ref):
            raise LabError(f"apt-cacher-ng exited at start; see {log}")
        if is_listening(bind_ip):
            return
        time.sleep(0.1)
    raise LabError(f"apt-cacher-ng did not listen on {bind_ip}:{PORT} within {timeout:.0f}s; see {log}")
