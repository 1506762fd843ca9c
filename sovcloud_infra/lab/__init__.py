"""Lab runtime: boots a virtual rack of Debian 12 hosts as systemd-nspawn containers.

One container per host (systemd as PID 1, sshd), one netns per host wired to
Linux bridges on the machine, an overlay rootfs on a cached base image, and an
apt-cacher-ng mirror on a bridge. Entry points: :func:`up`, :func:`down`,
:func:`status`; input is a :class:`LabSpec`. See ``demo.py`` for an example.
"""

from .base_image import BaseImage, ensure_base_image
from .errors import (
    CommandError,
    HostBootError,
    HostBootTimeoutError,
    LabError,
    LabSpecError,
)
from .operator_key import OperatorKey, ensure_operator_key
from .paths import LabPaths
from .progress import ProgressCallback, ProgressEvent
from .runtime import down, status, up
from .scan import Leftovers, leftovers
from .spec import LabBridge, LabHostSpec, LabNic, LabSpec, LabUser, validate
from .status import HostStatus, LabStatus

__all__ = [
    "BaseImage",
    "CommandError",
    "HostBootError",
    "HostBootTimeoutError",
    "HostStatus",
    "LabBridge",
    "LabError",
    "LabHostSpec",
    "LabNic",
    "LabPaths",
    "LabSpec",
    "LabSpecError",
    "LabStatus",
    "LabUser",
    "Leftovers",
    "OperatorKey",
    "ProgressCallback",
    "ProgressEvent",
    "down",
    "ensure_base_image",
    "ensure_operator_key",
    "leftovers",
    "status",
    "up",
    "validate",
]
