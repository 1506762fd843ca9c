"""The Ansible inventory of a VM run: one host, as the region model describes a host of its group.

The hardening role must see on the VM the same inputs it sees on the lab's
hosts, so the variables are not written by hand: they come from the region
model through the project's own inventory builder (region-wide variables,
the SRE groups, the first host of the chosen group), with only what is the
VM's own replaced: the connection (127.0.0.1 and the forwarded port, the VM
tier's key, known_hosts pinned to the image's host keys, qemu's port forward), the management
address and interface that qemu's user network gives the guest, its disk,
and the level and waivers under test. The inventory directory also gets the
stack's ``group_vars``, the role settings the lab runs with.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from sovcloud_infra.inventory import build_inventory
from sovcloud_infra.lab.from_model import operator_member
from sovcloud_infra.model import load_region
from sovcloud_infra.model.schema import HypervisorClass
from sovcloud_infra.stacks import PROJECT_ROOT, stack_path

from .errors import VmError
from .layout import DISK_SIZE_MIB
from .machine import VirtualMachine
from .qemu import GUEST_ADDRESS, GUEST_GATEWAY

#: The guest's NIC: virtio-net in PCI slot 2 of the i440FX machine (no VGA card with -nodefaults).
GUEST_INTERFACE = "ens2"
GUEST_MAC = "52:54:00:12:34:56"
#: The class the VM has when it stands for a hypervisor: everything a kernel command line can carry, sized
#: for the VM (2 vCPUs, 1.5 GiB): 32 hugepages of 2M, an Intel IOMMU, SMT off, CPU 0 kept for the host and
#: CPU 1 isolated for guests. The region's own classes describe real hardware, so the VM does not borrow one.
VM_HYPERVISOR_CLASS = HypervisorClass.model_validate(
    {
        "name": "vm-pinned",
        "cpu_vendor": "intel",
        "cpu_policy": "dedicated",
        "cpu_allocation_ratio": 1.0,
        "ram_allocation_ratio": 1.0,
        "reserved_host_cpus": 1,
        "reserved_host_memory_mb": 512,
        "hugepages": {"size": "2M", "count": 32},
        "smt": "off",
    }
)


def vm_host_vars(
    vm: VirtualMachine,
    *,
    stack: str = "lab",
    host_group: str = "controllers",
    level: str = "intermediary",
    waivers: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(group ``all`` variables, host variables) for the VM as a host of ``host_group`` in ``stack``."""
    region = load_region(stack_path(stack))
    inventory = build_inventory(region)
    hosts = inventory.groups.get(host_group, {}).get("hosts", [])
    if not hosts:
        raise VmError(f"stack {stack!r} has no host in group {host_group!r} to model the VM on")
    operator = operator_member(region)
    if operator.name != vm.user:
        raise VmError(f"the VM image logs in as {vm.user!r} but stack {stack!r}'s lab operator is {operator.name!r}")
    domain = region.info.dns_domain
    # The host is its management address on port 22, as in every inventory of the project; the SSH
    # options say how to reach it from here: through qemu's port forward on the loopback, the way a
    # jump host would. The role's lockout guard compares sshd's ListenAddress and Port with
    # ansible_host and ansible_port, which are then what the guest really sees.
    forward = f"-o HostName=127.0.0.1 -o Port={vm.ssh_port}"
    host = {
        **inventory.hostvars[hosts[0]],
        "ansible_host": GUEST_ADDRESS,
        "ansible_user": vm.user,
        "ansible_ssh_private_key_file": str(vm.image.key.private_key),
        "ansible_ssh_common_args": f"{forward} -o UserKnownHostsFile={vm.known_hosts} -o StrictHostKeyChecking=yes "
        "-o IdentitiesOnly=yes",
        # Replaces ansible.cfg's ssh_args: they come first on ssh's command line, where the forward
        # must be (ssh keeps the first value of an option), and the ControlMaster sockets go in the
        # run directory, where VirtualMachine closes them before a reboot and at the end.
        "ansible_ssh_args": f"{forward} -o ControlMaster=auto -o ControlPersist=120s "
        f"-o ControlPath={vm.control_path} -o PreferredAuthentications=publickey",
        "common_extra_authorized_keys": {vm.user: [vm.image.key.public_key]},
        "sovcloud_fqdn": f"{vm.image.hostname}.{domain}",
        "sovcloud_host_groups": [host_group],
        "sovcloud_management_address": GUEST_ADDRESS,
        "sovcloud_interfaces": [
            {
                "network": "vm-user-net",
                "purpose": "management",
                "device": GUEST_INTERFACE,
                "vlan": None,
                "address": f"{GUEST_ADDRESS}/24",
                "gateway": GUEST_GATEWAY,
                "mtu": 1500,
            }
        ],
        "sovcloud_nics": [{"name": GUEST_INTERFACE, "mac": GUEST_MAC, "bond": None, "max_mtu": 1500}],
        "sovcloud_bonds": [],
        "sovcloud_disks": [{"device": "/dev/vda", "serial": None, "size_gb": DISK_SIZE_MIB // 1024, "purpose": "os"}],
        "sovcloud_hardware": {"model": "qemu-tcg", "vendor": "qemu", "cpu_threads": 2, "ram_gib": 2},
        "sovcloud_hardening_level": level,
        "sovcloud_waivers": list(waivers or []),
    }
    if host_group == "hypervisors":
        host["sovcloud_hypervisor_class"] = VM_HYPERVISOR_CLASS.model_dump(mode="json", exclude={"flavors"})
    return dict(inventory.groups["all"]["vars"]), {k: v for k, v in host.items() if v is not None}


def write_inventory(
    vm: VirtualMachine,
    *,
    stack: str = "lab",
    host_group: str = "controllers",
    level: str = "intermediary",
    waivers: list[dict[str, Any]] | None = None,
    extra_host_vars: dict[str, Any] | None = None,
) -> Path:
    """Write ``<run dir>/inventory/`` (hosts.yml plus the stack's group_vars) and return the directory."""
    group_vars, host_vars = vm_host_vars(vm, stack=stack, host_group=host_group, level=level, waivers=waivers)
    host_vars.update(extra_host_vars or {})
    directory = vm.directory / "inventory"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    name = vm.image.hostname
    data = {
        "all": {
            "vars": group_vars,
            "hosts": {name: host_vars},
            "children": {host_group: {"hosts": {name: None}}},
        }
    }
    (directory / "hosts.yml").write_text(
        "# The VM of this run, written by sovcloud_infra.vm.inventory from the region model.\n"
        + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    )
    stack_group_vars = PROJECT_ROOT / "inventories" / stack / "group_vars"
    if stack_group_vars.is_dir():
        shutil.copytree(stack_group_vars, directory / "group_vars")
    return directory
