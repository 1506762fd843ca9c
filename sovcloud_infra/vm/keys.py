"""The VM tier's own operator key pair, with which the tests and Ansible log in as the operator.

Generated once in the VM cache (outside the repository, never committed) and
baked into the image's ``authorized_keys``; its public half is part of the
image recipe, so a new key rebuilds the image instead of locking the tests out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sovcloud_infra.lab.proc import run

from .paths import key_path


@dataclass(frozen=True)
class VmKey:
    private_key: Path
    public_key: str  # one OpenSSH line, for authorized_keys


def ensure_vm_key() -> VmKey:
    """Return the key pair, generating it on first use."""
    key = key_path()
    pub = key.with_name(key.name + ".pub")
    if not (key.exists() and pub.exists()):
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key.unlink(missing_ok=True)
        pub.unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sovcloud-vm-operator", "-f", str(key)])
    key.chmod(0o600)
    return VmKey(private_key=key, public_key=pub.read_text().strip())
