"""A fixture catalogue with every check kind, and canned evidence of a host that complies with all of it."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from sovcloud_infra.audit.evaluate import evaluate_host
from sovcloud_infra.audit.results import HostAudit
from sovcloud_infra.hardening.catalogue import Catalogue

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE_FILE = FIXTURES / "catalogue.yaml"
TODAY = dt.date(2026, 11, 29)
UNOWNED = "find / -xdev \\( -nouser -o -nogroup \\) -print 2>/dev/null | head -n 50"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue.model_validate(yaml.safe_load(CATALOGUE_FILE.read_text()))


def _sysctl(value: str, source: str = "/etc/sysctl.d/60-sovcloud.conf:3") -> dict[str, Any]:
    return {
        "live": value,
        "live_error": None,
        "persisted": value,
        "persisted_source": source,
        "assignments": [f"{source}: key = {value}"],
    }


def _file(path: str, mode: str, group: str = "root") -> dict[str, Any]:
    return {"path": path, "owner": "root", "group": group, "mode": mode, "type": "file"}


def _unit(name: str) -> dict[str, Any]:
    return {
        "unit": name,
        "load": "not-found",
        "active": "inactive",
        "sub": "dead",
        "unit_file": "",
        "enabled": False,
        "running": False,
    }


def compliant_evidence(container: str | None = None) -> dict[str, Any]:
    """What `sovcloud_evidence` returns on a host where every fixture control holds."""
    return copy.deepcopy(
        {
            "schema": 1,
            "errors": [],
            "virt": {"container": container is not None, "type": container or "none", "vm": "kvm", "source": None},
            "sysctl": {
                "files": ["/etc/sysctl.d/60-sovcloud.conf"],
                "errors": [],
                "keys": {
                    "kernel.dmesg_restrict": _sysctl("1"),
                    "kernel.yama.ptrace_scope": _sysctl("2"),
                    "net.ipv4.conf.all.accept_redirects": _sysctl("0"),
                    "net.ipv4.ip_forward": _sysctl("0"),
                    "net.ipv4.ip_local_port_range": _sysctl("32768 65535"),
                },
            },
            "cmdline": {
                "live": ["BOOT_IMAGE=/vmlinuz", "root=/dev/vda1", "ro", "pti=on", "quiet"],
                "live_error": None,
                "grub_default": {
                    "files": ["/etc/default/grub", "/etc/default/grub.d/60-sovcloud.cfg"],
                    "errors": [],
                    "GRUB_CMDLINE_LINUX": "pti=on",
                    "GRUB_CMDLINE_LINUX_DEFAULT": "quiet",
                    "params": ["pti=on", "quiet"],
                },
                "grub_cfg": {
                    "exists": True,
                    "error": None,
                    "entries": [["root=/dev/vda1", "ro", "pti=on", "quiet"]],
                    "default_params": ["root=/dev/vda1", "ro", "pti=on", "quiet"],
                },
            },
            "mounts": {
                "errors": [],
                "mountpoints": {
                    "/tmp": {
                        "live": {
                            "device": "/dev/vda3",
                            "fstype": "ext4",
                            "options": ["rw", "nosuid", "nodev", "noexec"],
                        },
                        "fstab": {"device": "/dev/vda3", "fstype": "ext4", "options": ["nosuid", "nodev", "noexec"]},
                        "unit": None,
                    },
                    "/var": {
                        "live": {"device": "/dev/vda4", "fstype": "ext4", "options": ["rw", "noexec"]},
                        "fstab": {"device": "/dev/vda4", "fstype": "ext4", "options": ["defaults", "noexec"]},
                        "unit": None,
                    },
                },
            },
            "files": {
                "/etc/shadow": {"files": [_file("/etc/shadow", "0640", "shadow")], "truncated": False},
                "/etc/gshadow": {"files": [_file("/etc/gshadow", "0640", "shadow")], "truncated": False},
                "/etc/sudoers.d/*": {
                    "files": [_file("/etc/sudoers.d/50-sre", "0440"), _file("/etc/sudoers.d/README", "0440")],
                    "truncated": False,
                },
            },
            "scripts": {UNOWNED: {"rc": 0, "lines": [], "line_count": 0, "stderr": "", "error": None, "seconds": 0.4}},
            "packages": {
                "error": None,
                "installed": {"telnet": {}, "inetutils-telnet": {}, "rsh-*": {}, "tftpd-hpa": {}, "nis": {}},
            },
            "services": {
                "error": None,
                "units": {
                    "telnet.socket": _unit("telnet.socket"),
                    "rsh.socket": _unit("rsh.socket"),
                    "tftpd-hpa": _unit("tftpd-hpa.service"),
                },
            },
            "content": {
                "/etc/login.defs": {
                    r"^\s*ENCRYPT_METHOD\s+YESCRYPT\b": {
                        "files": ["/etc/login.defs"],
                        "matches": [{"path": "/etc/login.defs", "line": 12, "text": "ENCRYPT_METHOD YESCRYPT"}],
                        "errors": [],
                    }
                },
                "/etc/shadow": {"^[^:]+::": {"files": ["/etc/shadow"], "matches": [], "errors": []}},
            },
            "sshd": {
                "error": None,
                "config": {"permitrootlogin": ["no"], "ciphers": ["aes256-gcm@openssh.com,aes256-ctr"]},
            },
            "timings": {},
        }
    )


def context(level: str = "intermediary", groups: list[str] | None = None, waivers: list[dict[str, str]] | None = None):
    return {"level": level, "host_groups": groups if groups is not None else ["controllers"], "waivers": waivers or []}


def audit(catalogue: Catalogue, evidence: dict[str, Any], ctx: dict[str, Any] | None = None) -> HostAudit:
    return evaluate_host(catalogue, "host-1", evidence, ctx or context(), today=TODAY)


def statuses(host: HostAudit) -> dict[str, str]:
    return {r.control: r.status.value for r in host.results}
