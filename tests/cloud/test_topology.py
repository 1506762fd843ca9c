"""Plain derivations from the model: host groups, Neutron physical networks, allocation pools."""

from __future__ import annotations

from sovcloud_infra.cloud.topology import allocation_pools, neutron_physical_network, topology
from sovcloud_infra.model import Region
from sovcloud_infra.model.schema import Network


def net(**kw) -> Network:
    base = {"name": "n", "purpose": "management", "physical_network": "physnet1", "cidr": "10.0.0.0/24"}
    return Network(**{**base, **kw})


def test_pools_are_the_complement_of_hosts_gateway_and_host_range():
    n = net(gateway="10.0.0.1")  # default host range: .16-.254
    assert allocation_pools(n, {"10.0.0.5", "10.0.0.20"}) == [("10.0.0.2", "10.0.0.4"), ("10.0.0.6", "10.0.0.15")]


def test_declared_pools_win():
    n = net(
        purpose="provider",
        host_range={"start": "10.0.0.10", "end": "10.0.0.99"},
        allocation_pools=[{"start": "10.0.0.100", "end": "10.0.0.200"}],
    )
    assert allocation_pools(n, set()) == [("10.0.0.100", "10.0.0.200")]


def test_pool_after_an_explicit_host_range():
    n = net(host_range={"start": "10.0.0.2", "end": "10.0.0.99"})
    assert allocation_pools(n, set()) == [("10.0.0.1", "10.0.0.1"), ("10.0.0.100", "10.0.0.254")]


def test_datacenter_scoped_networks_get_a_datacenter_physical_network():
    assert neutron_physical_network(net()) == "physnet1"
    assert neutron_physical_network(net(datacenter="dc2")) == "physnet1-dc2"


def test_hypervisors_grouped_by_datacenter_rack_and_class(fr_par_1: Region):
    topo = topology(fr_par_1)
    hypervisors = {h.hostname for h in fr_par_1.hosts if "hypervisor" in h.roles}
    assert set().union(*map(set, topo.by_datacenter.values())) == hypervisors
    assert set().union(*map(set, topo.by_rack.values())) == hypervisors
    assert set().union(*map(set, topo.by_class.values())) == hypervisors
    assert all(v == sorted(v) for v in topo.by_rack.values())
