"""The lab's own SSH key pair, with which the runtime (and Ansible) log in.

Generated per lab in its state directory, outside the repository, so no private
key is ever committed and no developer's personal key is needed to drive a lab.
It survives ``down``, so the same key keeps working across up/down cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import LabPaths
from .proc import run


@dataclass(frozen=True)
class OperatorKey:
    private_key: Path
    public_key: str  # the one-line OpenSSH public key, for authorized_keys


def ensure_operator_key(lab_name: str) -> OperatorKey:
    """Return the lab's ed25519 key pair, generating it on first use."""
    paths = LabPaths.for_lab(lab_name)
    key = paths.operator_key
    pub = key.with_name(key.name + ".pub")
    if not (key.exists() and pub.exists()):
        paths.operator_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key.unlink(missing_ok=True)
        pub.unlink(missing_ok=True)
        run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"sovcloud-lab-{lab_name}-operator",
                "-f",
                str(key),
            ]
        )
    key.chmod(0o600)
    return OperatorKey(private_key=key, public_key=pub.read_text().strip())
