"""A hypervisor class's flavors as SCS-0100 names and Nova extra specs (no Pulumi here).

Names are derived, never written by hand, so a name cannot promise more than
the class delivers. The CPU letter follows the standard's definitions:

* dedicated CPUs, host SMT off -> ``C`` (a full core per vCPU);
* dedicated CPUs, host SMT on -> ``T`` (a dedicated hyperthread);
* shared CPUs within 5x per core (3x per thread with SMT) -> ``V``;
* shared CPUs beyond that -> ``L`` (heavily oversubscribed).

RAM gets ``o`` when the class oversubscribes memory (ram_allocation_ratio > 1).
"""

from __future__ import annotations

from sovcloud_infra.model.schema import CpuPolicy, Flavor, HypervisorClass, SmtPolicy
from sovcloud_infra.policy.scs import CPU_TYPES, DISK_TYPES, ScsName

CLASS_METADATA_KEY = "hypervisor_class"
"""Aggregate metadata key matched by the flavors' ``aggregate_instance_extra_specs:`` pin."""

V_LIMIT_PER_THREAD = 3.0
V_LIMIT_PER_CORE = 5.0


def cpu_letter(cls: HypervisorClass) -> str:
    if cls.cpu_policy == CpuPolicy.dedicated:
        return "T" if cls.smt == SmtPolicy.on else "C"
    limit = V_LIMIT_PER_THREAD if cls.smt == SmtPolicy.on else V_LIMIT_PER_CORE
    return "V" if cls.cpu_allocation_ratio <= limit else "L"


def scs_name(cls: HypervisorClass, flavor: Flavor) -> ScsName:
    return ScsName(
        cpus=flavor.vcpus,
        cpu_type=cpu_letter(cls),
        ram_gib=flavor.ram_gib,
        ram_oversubscribed=cls.ram_allocation_ratio > 1.0,
        disk_gb=flavor.disk_gb,
        disk_type=flavor.disk_type,
        has_disk_part=flavor.disk_gb is not None,
    )


def extra_specs(cls: HypervisorClass, flavor: Flavor) -> dict[str, str]:
    """Nova extra specs: SCS metadata (scs-0101/0103), CPU placement, hugepages and the class pin."""
    name = scs_name(cls, flavor)
    specs = {
        "hw_rng:allowed": "True",
        "scs:name-v1": name.v1(),
        "scs:name-v2": name.v2(),
        "scs:cpu-type": CPU_TYPES[name.cpu_type],
        "hw:cpu_policy": cls.cpu_policy.value,
        f"aggregate_instance_extra_specs:{CLASS_METADATA_KEY}": cls.name,
    }
    if flavor.disk_type:
        specs["scs:disk0-type"] = DISK_TYPES[flavor.disk_type]
    if cls.cpu_policy == CpuPolicy.dedicated:
        # Nova refuses a thread policy on shared CPUs. With SMT off, 'isolate' keeps each vCPU on a
        # full core even if SMT is re-enabled later; with SMT on, 'prefer' packs vCPUs on siblings.
        specs["hw:cpu_thread_policy"] = "isolate" if cls.smt == SmtPolicy.off else "prefer"
    if cls.hugepages.count > 0:
        specs["hw:mem_page_size"] = {"1G": "1GB", "2M": "2MB"}[cls.hugepages.size]
    return specs
