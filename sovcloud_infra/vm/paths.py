"""Where the VM tier keeps its files: all outside the repository.

The disk image is the expensive part (minutes to build), so it lives in the
lab's persistent cache (``/var/cache/sovcloud-lab/vm`` unless
``SOVCLOUD_LAB_CACHE`` moves it), one directory per recipe hash. Each boot
gets a run directory in the lab's state root for its overlay disk, its console
log and its SSH files; the overlay is deleted when the VM stops, the logs stay
for diagnosis.
"""

from __future__ import annotations

from pathlib import Path

from sovcloud_infra.lab.paths import cache_root, state_root


def vm_cache_dir() -> Path:
    """Root of everything the VM tier caches (images, the operator key)."""
    return cache_root() / "vm"


def image_dir(recipe: str) -> Path:
    """The directory of the image built from the recipe with this hash."""
    return vm_cache_dir() / f"bookworm-{recipe}"


def key_path() -> Path:
    """The VM tier's operator private key (its ``.pub`` sits beside it)."""
    return vm_cache_dir() / "operator" / "id_ed25519"


def runs_root() -> Path:
    """Where the run directories of all VMs live."""
    return state_root() / "vm"


def run_dir(name: str) -> Path:
    """Per-boot files of the VM run ``name`` (overlay, console log, known_hosts, inventory)."""
    return runs_root() / name
