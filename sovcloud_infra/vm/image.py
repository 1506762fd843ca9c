"""The cached Debian 12 disk image that the VM tier boots through SeaBIOS and GRUB.

What a container cannot show (kernel sysctls, the kernel command line, mount
options of separate partitions, auditd) needs a disk that boots like a
server's: a partition table with one file system per BP-028 R28 mount point
(see layout.py), GRUB installed in its boot sector and reading its menu from
``/boot/grub/grub.cfg``, so that what a role writes to ``/etc/default/grub.d``
and turns into a menu with ``update-grub`` is what the next boot uses.

It is built from the lab's cached base rootfs (debootstrap minbase plus sshd,
sudo and python3) copied onto the mounted partitions of a loop-attached
sparse file, plus a kernel, GRUB and the packages the hardening role expects,
installed in a chroot. Building takes minutes, so the image is cached outside
the repository, in a directory named after the hash of its recipe: a changed
recipe builds a new image, the same recipe returns at once. Each boot uses a
qcow2 overlay (qemu.py), so the cached image is never written to.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from sovcloud_infra.lab.base_image import ensure_base_image
from sovcloud_infra.lab.base_image import recipe_hash as base_recipe_hash
from sovcloud_infra.lab.errors import LabError
from sovcloud_infra.lab.locking import file_lock
from sovcloud_infra.lab.mounts import safe_rmtree
from sovcloud_infra.lab.proc import run, stream
from sovcloud_infra.lab.progress import ProgressCallback, Reporter

from . import layout
from .disk import LoopDevice, attached, chroot_env, make_filesystems, mounted, release_stale
from .errors import VmError, VmImageError
from .keys import VmKey, ensure_vm_key
from .paths import image_dir, vm_cache_dir

#: Installed on top of the base rootfs: a kernel and its initramfs, GRUB for a BIOS
#: boot, udev (fstab mounts by UUID need /dev/disk/by-uuid) and the packages whose
#: configuration the hardening role manages (auditd, pwquality, tmpdir), present so a
#: run downloads nothing it can avoid (runs get a mirror anyway, see mirror.py).
PACKAGES: tuple[str, ...] = (
    "linux-image-amd64",
    "initramfs-tools",
    "grub-pc",
    "udev",
    "kmod",
    "auditd",
    "libpam-pwquality",
    "libpam-tmpdir",
    "libpam-modules",
    "e2fsprogs",
)
SUITES: tuple[str, ...] = ("bookworm", "bookworm-updates")
SECURITY_SUITE = "bookworm-security"
ARCHIVE = "http://deb.debian.org"

HOSTNAME = "sovcloud-vm"
#: The operator account, as the lab's access model names it (stacks/lab/access.yaml:
#: alice, the lab operator, member of sre-core, which has sudo). The comment is the
#: one the common role gives SRE accounts, so that role recognises the account.
OPERATOR_USER = "alice"
OPERATOR_GROUP = "sre-core"
OPERATOR_COMMENT = "Alice Martin (sovcloud SRE)"
#: Same path and rule as the common role's template, so a converge finds it unchanged.
SUDOERS_FILE = "etc/sudoers.d/50-sovcloud-sre"
SUDOERS_RULE = f"%{OPERATOR_GROUP} ALL=(ALL:ALL) NOPASSWD: ALL\n"
#: The package mirror as the guest sees it; qemu.py forwards this address to an
#: apt-cacher-ng on the machine's loopback when a run asks for one.
GUEST_MIRROR = "10.0.2.100:3142"

#: Boot loader defaults: the console on the first serial port (which qemu writes
#: to the run's console log) and no menu delay. The hardening role's settings go in
#: /etc/default/grub.d/, which update-grub reads after this file.
GRUB_DEFAULTS = """\
# Written by sovcloud_infra.vm (the VM test image). Hardening settings go in /etc/default/grub.d/.
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0,115200n8"
GRUB_CMDLINE_LINUX=""
GRUB_TERMINAL="serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
"""
#: A static management address, as production hosts have (no DHCP client to wait for):
#: the one qemu's user network expects its guest at, with qemu as the gateway.
NETWORK_UNIT = """\
# Written by sovcloud_infra.vm: the address qemu's user network forwards SSH to.
[Match]
Name=en*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
"""
#: What the base rootfs masks for containers; a VM runs them like a server does.
UNMASK: tuple[str, ...] = (
    "systemd-journald-audit.socket",
    "console-setup.service",
    "keyboard-setup.service",
)
#: The initramfs holds only what mounts / on this VM (virtio disk, ext4), not every
#: storage driver (MODULES=most): it is built in a fraction of the time and
#: space, which matters under TCG and on the 256 MiB /var/tmp where mkinitramfs
#: stages its files, whether the image build or a role inside the VM runs it.
INITRAMFS_CONF = """\
# Written by sovcloud_infra.vm: only the modules of the hook sovcloud-vm.
MODULES=list
COMPRESS=gzip
"""
INITRAMFS_MODULES: tuple[str, ...] = ("virtio_pci", "virtio_blk", "ext4", "crc32c_generic")
INITRAMFS_HOOK = f"""\
#!/bin/sh
# Written by sovcloud_infra.vm: the modules that mount / on the VM's virtio disk.
PREREQ=""
prereqs() {{ echo "$PREREQ"; }}
case "$1" in prereqs) prereqs; exit 0 ;; esac
. /usr/share/initramfs-tools/hook-functions
manual_add_modules {" ".join(INITRAMFS_MODULES)}
"""
HOST_KEY_TYPES: tuple[str, ...] = ("ed25519", "ecdsa", "rsa")
#: Bump when the build steps change in a way the recipe data does not show.
RECIPE_VERSION = 2
STAMP_NAME = "stamp.json"
#: Images of other recipes are deleted after this many days without use.
UNUSED_DAYS = 2
DISK_NAME = "disk.raw"


@dataclass(frozen=True)
class VmImage:
    """A ready disk image: where it is, how to log in, and the host keys to pin."""

    disk: Path
    recipe: str
    hostname: str
    operator_user: str
    operator_group: str
    key: VmKey
    host_public_keys: tuple[str, ...]  # "ssh-ed25519 AAAA..." lines for known_hosts
    built_now: bool
    build_seconds: float | None
    build_log: Path


def recipe(key: VmKey) -> dict[str, object]:
    """Everything that determines the image's content."""
    return {
        "base": base_recipe_hash(),
        "packages": sorted(PACKAGES),
        "suites": [*SUITES, SECURITY_SUITE],
        "archive": ARCHIVE,
        "disk_mib": layout.DISK_SIZE_MIB,
        "partitions": [asdict(p) for p in layout.PARTITIONS],
        "hostname": HOSTNAME,
        "operator": [OPERATOR_USER, OPERATOR_GROUP, OPERATOR_COMMENT, SUDOERS_FILE, SUDOERS_RULE, key.public_key],
        "mirror": GUEST_MIRROR,
        "grub": GRUB_DEFAULTS,
        "network": NETWORK_UNIT,
        "initramfs": [INITRAMFS_CONF, INITRAMFS_HOOK],
        "unmask": sorted(UNMASK),
        "version": RECIPE_VERSION,
    }


def recipe_hash(key: VmKey) -> str:
    return hashlib.sha256(json.dumps(recipe(key), sort_keys=True).encode()).hexdigest()[:16]


def ensure_vm_image(progress: ProgressCallback | None = None) -> VmImage:
    """Return the cached image for the current recipe, building it first if needed.

    A lock serialises builders; the image directory appears under its final name
    only once complete, and images of older recipes are removed after a build
    (a running qemu keeps its open file, so removing one under it is safe).
    """
    report = Reporter(progress)
    cache = vm_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with file_lock(cache / ".image.lock"):
        key = ensure_vm_key()
        digest = recipe_hash(key)
        final = image_dir(digest)
        stamp = _read_stamp(final)
        if stamp is not None:
            os.utime(final / STAMP_NAME)  # last use, for _remove_unused_images
            report("vm-image", f"VM image ready: {final / DISK_NAME}")
            return _image(final, digest, key, stamp, built_now=False)
        tmp = cache / f".build-{digest}"
        build_log = cache / f"build-{digest}.log"
        release_stale(tmp / DISK_NAME, tmp)
        safe_rmtree(tmp)
        tmp.mkdir(parents=True)
        started = time.monotonic()
        try:
            with build_log.open("w") as log:
                host_keys = _Builder(tmp, key, log, report).build()
            seconds = round(time.monotonic() - started, 1)
            stamp = {
                "recipe": digest,
                "host_public_keys": list(host_keys),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": seconds,
                "packages": list(PACKAGES),
            }
            (tmp / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
            safe_rmtree(tmp / "root")
            safe_rmtree(final)
            tmp.rename(final)
        except LabError as exc:
            raise VmImageError(str(exc), build_log) from exc
        finally:
            release_stale(tmp / DISK_NAME, tmp)
            safe_rmtree(tmp)
        build_log.replace(final / "build.log")
        _remove_unused_images(cache, keep=final)
        report("vm-image", f"VM image built in {seconds:.0f}s: {final / DISK_NAME}")
        return _image(final, digest, key, stamp, built_now=True)


def _read_stamp(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads((path / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not (path / DISK_NAME).is_file():
        return None
    return data


def _image(path: Path, digest: str, key: VmKey, stamp: dict[str, object], *, built_now: bool) -> VmImage:
    keys = stamp.get("host_public_keys")
    seconds = stamp.get("build_seconds")
    return VmImage(
        disk=path / DISK_NAME,
        recipe=digest,
        hostname=HOSTNAME,
        operator_user=OPERATOR_USER,
        operator_group=OPERATOR_GROUP,
        key=key,
        host_public_keys=tuple(str(k) for k in keys) if isinstance(keys, list) else (),
        built_now=built_now,
        build_seconds=float(seconds) if isinstance(seconds, int | float) else None,
        build_log=path / "build.log",
    )


def _remove_unused_images(cache: Path, keep: Path) -> None:
    """Delete images of other recipes that nobody asked for in UNUSED_DAYS.

    Not at once: another checkout (a CI job, a colleague's branch) may run another
    recipe on the same machine, and its session would find its image gone.
    """
    limit = time.time() - UNUSED_DAYS * 86400
    for old in cache.glob("bookworm-*"):
        stamp = old / STAMP_NAME
        if old.is_dir() and old != keep and (not stamp.exists() or stamp.stat().st_mtime < limit):
            safe_rmtree(old)
    for log in cache.glob("build-*.log"):  # logs of failed builds
        if log.stat().st_mtime < limit:
            log.unlink()


class _Builder:
    """The build steps, each logged to the build log (the error names it)."""

    def __init__(self, workdir: Path, key: VmKey, log: IO[str], report: Reporter) -> None:
        self.workdir = workdir
        self.disk = workdir / DISK_NAME
        self.key = key
        self.log = log
        self.report = report

    def step(self, message: str) -> None:
        self.log.write(f"\n=== {message}\n")
        self.log.flush()
        self.report("vm-image", message)

    def sh(self, argv: Sequence[str], *, input_text: str | None = None) -> str:
        """Run a command, its output into the build log; return stdout."""
        self.log.write(f"$ {' '.join(argv)}\n")
        self.log.flush()
        if input_text is None:
            lines: list[str] = []

            def keep(line: str) -> None:
                lines.append(line)
                self.log.write(line + "\n")

            stream(argv, keep, env={"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"})
            self.log.flush()
            return "\n".join(lines)
        proc = run(argv, input_text=input_text, timeout=600)
        self.log.write(proc.stdout + proc.stderr)
        self.log.flush()
        return proc.stdout

    def chroot(self, root: Path, *argv: str, input_text: str | None = None) -> str:
        return self.sh(["chroot", str(root), *argv], input_text=input_text)

    def build(self) -> tuple[str, ...]:
        self.step("base rootfs")
        base = ensure_base_image(lambda event: self.report("vm-image", event.message))
        self.step(f"sparse disk of {layout.DISK_SIZE_MIB} MiB, GPT with {len(layout.PARTITIONS)} partitions")
        with self.disk.open("wb") as f:
            f.truncate(layout.DISK_SIZE_MIB * 1024 * 1024)
        self.sh(["sfdisk", "--quiet", "--wipe", "always", str(self.disk)], input_text=layout.sfdisk_script())
        with attached(self.disk) as dev:
            self.step(f"ext4 file systems on {dev.path}")
            uuids = make_filesystems(dev)
            with mounted(dev, self.workdir / "root") as root:
                self.step("copy the base rootfs")
                self.sh(["rsync", "-aHAX", "--numeric-ids", "--exclude=/.sovcloud-base-stamp.json",
                         f"{base.path}/", f"{root}/"])  # fmt: skip
                with chroot_env(root, dev, uuids):
                    self._install(root)
                    self._configure(root, uuids)
                    self._boot_loader(root, dev)
                    host_keys = self._identity(root)
                    self._finish(root)
                self.step("trim free blocks (keeps the sparse image small)")
                for _, partition in layout.filesystems():
                    self.sh(["fstrim", str(root / (partition.mountpoint or "/").lstrip("/"))])
        return host_keys

    def _install(self, root: Path) -> None:
        self.step(f"install {len(PACKAGES)} packages: {' '.join(PACKAGES)}")
        _write(root / "etc/resolv.conf", Path("/etc/resolv.conf").read_text(), replace_link=True)
        _write(root / "etc/apt/sources.list", _sources(f"{ARCHIVE}"))
        policy = root / "usr/sbin/policy-rc.d"
        _write(policy, "#!/bin/sh\n# no daemon starts inside the image build\nexit 101\n", 0o755)
        # grub-pc asks where to install itself; the build runs grub-install itself below.
        self.chroot(root, "debconf-set-selections", input_text=(
            "grub-pc grub-pc/install_devices multiselect \n"
            "grub-pc grub-pc/install_devices_empty boolean true\n"
        ))  # fmt: skip
        _write(root / "etc/initramfs-tools/conf.d/sovcloud-vm.conf", INITRAMFS_CONF)
        _write(root / "etc/initramfs-tools/hooks/sovcloud-vm", INITRAMFS_HOOK, 0o755)
        self.chroot(root, "apt-get", "update")
        self.chroot(root, "apt-get", "install", "-y", "--no-install-recommends", *PACKAGES)

    def _configure(self, root: Path, uuids: dict[str, str]) -> None:
        self.step("fstab, boot loader defaults, network, accounts")
        _write(root / "etc/fstab", layout.fstab(uuids))
        _write(root / "etc/default/grub", GRUB_DEFAULTS)
        _write(root / "etc/systemd/network/50-vm.network", NETWORK_UNIT)
        self.chroot(root, "systemctl", "enable", "systemd-networkd.service")
        for unit in UNMASK:
            link = root / "etc/systemd/system" / unit
            if link.is_symlink() and str(link.readlink()) == "/dev/null":
                link.unlink()
        _write(root / "etc/hostname", f"{HOSTNAME}\n")
        _write(root / "etc/hosts", f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\tlocalhost ip6-localhost\n")
        self.chroot(root, "groupadd", "--force", OPERATOR_GROUP)
        self.chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
                    "--groups", OPERATOR_GROUP, "--comment", OPERATOR_COMMENT, OPERATOR_USER)  # fmt: skip
        ssh_dir = f"/home/{OPERATOR_USER}/.ssh"
        _write(root / ssh_dir.lstrip("/") / "authorized_keys", self.key.public_key + "\n", 0o600)
        (root / ssh_dir.lstrip("/")).chmod(0o700)
        self.chroot(root, "chown", "-R", f"{OPERATOR_USER}:{OPERATOR_USER}", ssh_dir)
        staged = root / "etc/.sudoers-sre.new"  # same file system as sudoers.d, for the rename
        _write(staged, SUDOERS_RULE, 0o440)
        self.chroot(root, "visudo", "-c", "-f", "/etc/.sudoers-sre.new")
        staged.replace(root / SUDOERS_FILE)

    def _boot_loader(self, root: Path, dev: LoopDevice) -> None:
        self.step(f"grub-install (i386-pc) on {dev.path}, update-grub")
        self.chroot(root, "grub-install", "--target=i386-pc", "--recheck", str(dev.path))
        self.chroot(root, "update-grub")
        grub_cfg = (root / "boot/grub/grub.cfg").read_text()
        if "root=UUID=" not in grub_cfg:
            raise VmError("update-grub did not write root=UUID=... into grub.cfg")
        # Inside the VM the disk is /dev/vda: a grub-pc upgrade there reinstalls to it.
        self.chroot(root, "debconf-set-selections", input_text=(
            "grub-pc grub-pc/install_devices multiselect /dev/vda\n"
            "grub-pc grub-pc/install_devices_empty boolean false\n"
        ))  # fmt: skip

    def _identity(self, root: Path) -> tuple[str, ...]:
        self.step("machine-id and SSH host keys")
        machine_id = root / "etc/machine-id"
        machine_id.unlink(missing_ok=True)
        _write(machine_id, uuid.uuid4().hex + "\n", 0o444)
        for old in (root / "etc/ssh").glob("ssh_host_*"):
            old.unlink()
        self.sh(["ssh-keygen", "-A", "-f", str(root)])
        keys = []
        for kind in HOST_KEY_TYPES:
            pub = root / f"etc/ssh/ssh_host_{kind}_key.pub"
            if pub.exists():
                keys.append(" ".join(pub.read_text().split()[:2]))
        if not keys:
            raise VmError("ssh-keygen -A wrote no SSH host keys")
        return tuple(keys)

    def _finish(self, root: Path) -> None:
        self.step("clean apt, point apt at the guest mirror address")
        self.chroot(root, "apt-get", "clean")
        lists_dir = root / "var/lib/apt/lists"
        for lists in lists_dir.glob("*"):
            if lists.is_file():
                lists.unlink()
        # The indexes are gone (they named the build's archive, not the guest's mirror), so the
        # cache must also look old: apt's "updated N seconds ago" (Ansible's cache_valid_time)
        # reads this stamp, else the lists directory's mtime.
        (root / "var/lib/apt/periodic/update-success-stamp").unlink(missing_ok=True)
        os.utime(lists_dir, (0, 0))
        _write(root / "etc/apt/sources.list", _sources(f"http://{GUEST_MIRROR}/deb.debian.org"))
        _write(root / "etc/resolv.conf", "# the VM has no DNS; its mirror is reached by address\n")
        (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)


def _sources(base: str) -> str:
    lines = [f"deb {base}/debian {suite} main" for suite in SUITES]
    lines.append(f"deb {base}/debian-security {SECURITY_SUITE} main")
    return "# written by sovcloud_infra.vm\n" + "\n".join(lines) + "\n"


def _write(path: Path, text: str, mode: int = 0o644, *, replace_link: bool = False) -> None:
    if replace_link and path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
