"""Finding a lab's resources on the machine without trusting the state file.

``down`` must work after a crash that lost or truncated the state file, and the
tests must prove nothing is left. Everything the runtime makes is findable:
processes by the lab's paths in their command line, mounts by path, netns by
name prefix, links by name prefix or by the link alias the runtime sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .mounts import mounts_below
from .network import list_links, list_netns
from .paths import LabPaths
from .proc import ProcessRef, iter_processes, process_ref


def _under(arg: str, root: Path) -> bool:
    return arg == str(root) or arg.startswith(str(root) + "/")


def find_nspawn(paths: LabPaths) -> list[ProcessRef]:
    """systemd-nspawn processes booting a rootfs below this lab's hosts dir."""
    refs = []
    for pid, argv in iter_processes():
        if not argv[0].endswith("systemd-nspawn"):
            continue
        values = [a.split("=", 1)[1] for a in argv if a.startswith("--directory=")]
        values += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-D", "--directory")]
        if any(_under(v, paths.hosts_dir) for v in values):
            ref = process_ref(pid)
            if ref is not None:
                refs.append(ref)
    return refs


def find_containers(paths: LabPaths) -> list[ProcessRef]:
    """Processes inside this lab's containers, found by their root mount.

    A container whose systemd-nspawn was SIGKILLed keeps running, reparented
    to PID 1 (nspawn gives its container no parent-death signal), and is found
    by nothing else: its command line is just ``/usr/lib/systemd/systemd``. Its
    root is this lab's overlay, though, and the overlay's ``upperdir=`` shows in
    its mountinfo.
    """
    own_mnt = Path("/proc/self/ns/mnt").readlink()
    needle = f"upperdir={paths.hosts_dir}/"
    refs = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "ns/mnt").readlink() == own_mnt:
                continue
            mountinfo = (entry / "mountinfo").read_text()
        except OSError:
            continue
        for line in mountinfo.splitlines():
            fields = line.split()
            if len(fields) > 4 and fields[4] == "/" and needle in line:
                ref = process_ref(int(entry.name))
                if ref is not None:
                    refs.append(ref)
                break
    return refs


def find_mirror(paths: LabPaths) -> list[ProcessRef]:
    """apt-cacher-ng processes using this lab's config dir."""
    refs = []
    for pid, argv in iter_processes():
        if "apt-cacher-ng" in argv[0] and any(_under(a, paths.mirror_dir) for a in argv):
            ref = process_ref(pid)
            if ref is not None:
                refs.append(ref)
    return refs


def find_ssh_masters(paths: LabPaths) -> list[ProcessRef]:
    """ssh ControlMaster processes (title ``ssh: <control path> [mux]``) of this lab."""
    refs = []
    for pid, argv in iter_processes():
        if argv[0].startswith("ssh: ") and str(paths.control_dir) in argv[0]:
            ref = process_ref(pid)
            if ref is not None:
                refs.append(ref)
    return refs


def find_netns(paths: LabPaths) -> list[str]:
    return [n for n in list_netns() if n.startswith(paths.netns_prefix)]


def find_links(paths: LabPaths, kind: str) -> list[str]:
    """Links of ``kind`` carrying this lab's alias (or, for veths, its name prefix)."""
    found = []
    for link in list_links():
        if link.kind != kind:
            continue
        if link.alias == paths.link_alias or (kind == "veth" and link.name.startswith(paths.veth_prefix)):
            found.append(link.name)
    return found


@dataclass(frozen=True)
class Leftovers:
    """What of a lab is still on the machine; all empty after a complete ``down``."""

    nspawn_pids: tuple[int, ...]
    container_pids: tuple[int, ...]
    mirror_pids: tuple[int, ...]
    ssh_master_pids: tuple[int, ...]
    mounts: tuple[str, ...]
    netns: tuple[str, ...]
    veths: tuple[str, ...]
    bridges: tuple[str, ...]

    def __bool__(self) -> bool:
        return any(
            (
                self.nspawn_pids,
                self.container_pids,
                self.mirror_pids,
                self.ssh_master_pids,
                self.mounts,
                self.netns,
                self.veths,
                self.bridges,
            )
        )


def leftovers(name: str) -> Leftovers:
    """Everything of lab ``name`` still present, found by scanning only."""
    paths = LabPaths.for_lab(name)
    return Leftovers(
        nspawn_pids=tuple(r.pid for r in find_nspawn(paths)),
        container_pids=tuple(r.pid for r in find_containers(paths)),
        mirror_pids=tuple(r.pid for r in find_mirror(paths)),
        ssh_master_pids=tuple(r.pid for r in find_ssh_masters(paths)),
        mounts=tuple(str(m) for m in mounts_below(paths.root)),
        netns=tuple(find_netns(paths)),
        veths=tuple(find_links(paths, "veth")),
        bridges=tuple(find_links(paths, "bridge")),
    )
