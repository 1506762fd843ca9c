"""Where the lab keeps its files, all of them outside the repository.

State (one directory per lab, removed by ``down`` except the operator key and
the logs) and the cache (the base image and the package cache, meant to outlive
every lab) live under /var so that a ``git clean`` or a fresh clone never loses
or commits them. Both roots can be moved with environment variables, which the
tests and CI use to keep their labs apart from a developer's own.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "SOVCLOUD_LAB_STATE"
CACHE_ENV = "SOVCLOUD_LAB_CACHE"
DEFAULT_STATE_ROOT = Path("/var/lib/sovcloud-lab")
DEFAULT_CACHE_ROOT = Path("/var/cache/sovcloud-lab")

#: Marker set as the link alias of every bridge and veth the runtime creates, so
#: that ``down`` finds them even when the state file is lost.
LINK_ALIAS_PREFIX = "sovcloud-lab:"


def state_root() -> Path:
    """Root under which every lab has its own state directory."""
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_ROOT)


def cache_root() -> Path:
    """Root of the persistent cache shared by all labs."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_ROOT)


def lab_tag(name: str) -> str:
    """Short stable hash of a lab name, used where kernel names are short.

    Interface names are limited to 15 characters (IFNAMSIZ), too short for a lab
    name plus a host name; a hash keeps them unique and still findable by prefix.
    """
    return hashlib.sha256(name.encode()).hexdigest()[:6]


@dataclass(frozen=True)
class LabPaths:
    """Every path one lab uses; computed, never stored, so it is the same for up and down."""

    name: str
    root: Path

    @classmethod
    def for_lab(cls, name: str) -> LabPaths:
        """Paths of lab ``name`` under the current state root."""
        return cls(name=name, root=state_root() / name)

    @property
    def lock_file(self) -> Path:
        """Lock beside the state dir, not in it: ``down`` deletes files there while holding it."""
        return self.root.parent / f".{self.name}.lock"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def hosts_dir(self) -> Path:
        return self.root / "hosts"

    def host_dir(self, hostname: str) -> Path:
        return self.hosts_dir / hostname

    def host_upper(self, hostname: str) -> Path:
        return self.host_dir(hostname) / "upper"

    def host_work(self, hostname: str) -> Path:
        return self.host_dir(hostname) / "work"

    def host_root(self, hostname: str) -> Path:
        """The merged overlay that systemd-nspawn boots."""
        return self.host_dir(hostname) / "root"

    @property
    def logs_dir(self) -> Path:
        """Kept by ``down`` so that a failed boot can still be diagnosed afterwards."""
        return self.root / "logs"

    def console_log(self, hostname: str) -> Path:
        return self.logs_dir / f"{hostname}.console.log"

    @property
    def mirror_log(self) -> Path:
        return self.logs_dir / "apt-cacher-ng.out.log"

    @property
    def mirror_dir(self) -> Path:
        """apt-cacher-ng's own config, log and pid directory for this lab."""
        return self.root / "mirror"

    @property
    def operator_dir(self) -> Path:
        """Kept by ``down``: the key stays the same across up/down cycles."""
        return self.root / "operator"

    @property
    def operator_key(self) -> Path:
        return self.operator_dir / "id_ed25519"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def control_dir(self) -> Path:
        """ControlMaster sockets; kept short because unix socket paths are limited to 107 bytes."""
        return self.root / "cm"

    @property
    def netns_prefix(self) -> str:
        return f"sclab-{lab_tag(self.name)}-"

    def netns_name(self, hostname: str) -> str:
        return f"{self.netns_prefix}{hostname}"

    @property
    def veth_prefix(self) -> str:
        return f"scv{lab_tag(self.name)}"

    def veth_name(self, hostname: str, nic_index: int) -> str:
        """Host end of a veth: ``scv`` + lab tag + host hash + NIC index, at most 15 chars."""
        host = hashlib.sha256(hostname.encode()).hexdigest()[:4]
        name = f"{self.veth_prefix}{host}{nic_index:x}"
        if len(name) > 15:
            raise ValueError(f"veth name too long: {name}")
        return name

    @property
    def link_alias(self) -> str:
        return f"{LINK_ALIAS_PREFIX}{self.name}"


def base_image_dir(suite: str = "bookworm") -> Path:
    """The cached, read-only base rootfs every host overlays."""
    return cache_root() / f"base-{suite}"


def apt_cache_dir() -> Path:
    """apt-cacher-ng's package cache, shared across labs so packages download once."""
    return cache_root() / "apt-cacher-ng"
