"""The VM test tier: a Debian 12 VM booted by qemu (TCG) for what a container cannot show.

The lab's containers share the machine's kernel, so kernel sysctls, the kernel
command line, boot loader settings, mount options of separate partitions and
auditd cannot be shown there. This package builds (once, cached) a disk image
that boots through SeaBIOS and GRUB with one partition per BP-028 R28 mount
point, boots it on a throwaway overlay, gives Ansible an inventory for it from
the region model, and reboots and stops it, always cleaning up.

    with booted_vm("mine") as vm:
        inventory = write_inventory(vm)
        vm.converge(inventory, "tests/vm/hardening.yml")
        vm.reboot()
        print(vm.ssh("cat /proc/cmdline").stdout)
"""

from .errors import VmBootError, VmError, VmImageError
from .image import VmImage, ensure_vm_image
from .inventory import vm_host_vars, write_inventory
from .machine import VirtualMachine, booted_vm
from .qemu import QemuSpec

__all__ = [
    "QemuSpec",
    "VirtualMachine",
    "VmBootError",
    "VmError",
    "VmImage",
    "VmImageError",
    "booted_vm",
    "ensure_vm_image",
    "vm_host_vars",
    "write_inventory",
]
