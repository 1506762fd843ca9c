"""SCS-0100 names derived from hypervisor classes: letters, suffixes, v1/v2 and extra specs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sovcloud_infra.cloud.flavor_names import cpu_letter, extra_specs, scs_name
from sovcloud_infra.model.schema import CpuPolicy, Flavor, Hugepages, HypervisorClass, SmtPolicy
from sovcloud_infra.policy import scs


def cls(**kw) -> HypervisorClass:
    return HypervisorClass(name="c", **kw)


def test_cpu_letters_follow_the_standard():
    assert cpu_letter(cls(cpu_policy=CpuPolicy.dedicated, smt=SmtPolicy.off)) == "C"
    assert cpu_letter(cls(cpu_policy=CpuPolicy.dedicated, smt=SmtPolicy.on)) == "T"
    assert cpu_letter(cls(cpu_allocation_ratio=3.0, smt=SmtPolicy.on)) == "V"  # <= 3x per thread
    assert cpu_letter(cls(cpu_allocation_ratio=3.5, smt=SmtPolicy.on)) == "L"
    assert cpu_letter(cls(cpu_allocation_ratio=5.0, smt=SmtPolicy.off)) == "V"  # <= 5x per core
    assert cpu_letter(cls(cpu_allocation_ratio=6.0, smt=SmtPolicy.off)) == "L"


def test_names_v1_v2_ram_oversubscription_and_disk_type():
    c = cls(cpu_allocation_ratio=2.0, ram_allocation_ratio=1.5)
    name = scs_name(c, Flavor(vcpus=4, ram_gib=16, disk_gb=50, disk_type="n"))
    assert name.v2() == "SCS-4V-16o-50n" and name.v1() == "SCS-4V:16o:50n"
    diskless = scs_name(cls(), Flavor(vcpus=2, ram_gib=8))
    assert diskless.v2() == "SCS-2L-8" and diskless.v1() == "SCS-2L:8"


def test_extra_specs_for_a_pinned_hugepage_class():
    c = cls(cpu_policy=CpuPolicy.dedicated, smt=SmtPolicy.on, hugepages=Hugepages(size="2M", count=512))
    specs = extra_specs(c, Flavor(vcpus=2, ram_gib=4, disk_gb=20, disk_type="p"))
    assert specs["hw:cpu_thread_policy"] == "prefer" and specs["hw:mem_page_size"] == "2MB"
    assert specs["scs:cpu-type"] == "dedicated-thread" and specs["scs:disk0-type"] == "nvme"
    assert specs["scs:name-v2"] == "SCS-2T-4-20p" and specs["hw_rng:allowed"] == "True"


def test_shared_classes_never_get_a_thread_policy_or_page_size():
    specs = extra_specs(cls(), Flavor(vcpus=1, ram_gib=2))
    assert "hw:cpu_thread_policy" not in specs and "hw:mem_page_size" not in specs


@given(
    vcpus=st.integers(1, 512),
    ram=st.integers(1, 4096),
    disk=st.one_of(st.none(), st.integers(1, 10_000)),
    disk_type=st.one_of(st.none(), st.sampled_from("nhsp")),
    policy=st.sampled_from(list(CpuPolicy)),
    smt=st.sampled_from(list(SmtPolicy)),
    ratio=st.floats(1.0, 16.0),
    ram_ratio=st.floats(0.5, 2.0),
)
def test_every_derived_name_is_valid_and_honest(vcpus, ram, disk, disk_type, policy, smt, ratio, ram_ratio):
    c = cls(cpu_policy=policy, smt=smt, cpu_allocation_ratio=ratio, ram_allocation_ratio=ram_ratio)
    flavor = Flavor(vcpus=vcpus, ram_gib=ram, disk_gb=disk, disk_type=disk_type if disk else None)
    name = scs_name(c, flavor).v2()
    assert scs.mismatches(name, vcpus, ram * 1024, disk or 0) == []
    assert scs.parse(name) == scs_name(c, flavor)
