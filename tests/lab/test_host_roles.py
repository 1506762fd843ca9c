"""Host networking and firewall roles on the lab's real hosts (converged by site.yml)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from .conftest import LabSession

# After the baseline tests: these roles change the hosts' network and firewall for the rest of the session.
pytestmark = [pytest.mark.lab, pytest.mark.host_roles]
PLAYBOOK = "playbooks/host-roles.yml"

HOSTS = ["lab-ctl-01", "lab-hv-01", "lab-st-01"]
WAIT_LISTEN = "for i in $(seq 10); do ss -ltn | grep -q :{port} && exit 0; sleep 1; done; exit 1"


def _links(lab: LabSession, host: str) -> dict[str, dict[str, Any]]:
    out = lab.ssh(host, "ip -j -d addr show").stdout
    return {link["ifname"]: link for link in json.loads(out)}


def _addresses(link: dict[str, Any]) -> list[str]:
    return [f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", []) if a.get("family") == "inet"]


def _can_connect(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module", autouse=True)
def host_roles(lab: LabSession) -> Any:
    """Converge networking and firewall once for this module (after the baseline site converge)."""
    return lab.converge(playbook=PLAYBOOK)


def test_host_roles_converge_networking_and_firewall(host_roles: Any):
    result = host_roles
    assert result.succeeded, {h: o.failures for h, o in result.hosts.items()}


def test_access_interfaces_carry_model_address_and_mtu(lab: LabSession):
    st = _links(lab, "lab-st-01")
    assert lab.ip("0.13") + "/24" in _addresses(st["eth0"]) and st["eth0"]["mtu"] == 1500
    storage = [a for a in _addresses(st["eth1"]) if a.startswith(lab.ip("1."))]
    assert storage and st["eth1"]["mtu"] == 9000
    ctl = _links(lab, "lab-ctl-01")
    assert any(a.startswith(lab.ip("2.")) for a in _addresses(ctl["eth1"])) and ctl["eth1"]["mtu"] == 9000
    assert any(a.startswith(lab.ip("3.")) for a in _addresses(ctl["eth2"])) and ctl["eth2"]["mtu"] == 1500


def test_default_route_via_management_gateway_only(lab: LabSession):
    for host in HOSTS:
        routes = json.loads(lab.ssh(host, "ip -j route show default").stdout)
        # The runtime's boot-time route and networkd's identical one may coexist; both go via management.
        assert {(r["gateway"], r["dev"]) for r in routes} == {(lab.ip("0.1"), "eth0")}, host


def test_bond_and_vlans_rendered_as_the_model_says(lab: LabSession):
    """The machine's kernel has no bonding/802.1Q: the files are checked here, the VM tier proves them live."""
    host = lab.testinfra("lab-hv-01")
    bond = host.file("/etc/systemd/network/20-sovcloud-bond0.netdev").content_string
    assert "Kind=bond" in bond and "Mode=802.3ad" in bond and "MTUBytes=9000" in bond
    for member in ("eth1", "eth2"):
        conf = host.file(f"/etc/systemd/network/30-sovcloud-{member}.network").content_string
        assert "Bond=bond0" in conf and "MTUBytes=9000" in conf
    trunk = host.file("/etc/systemd/network/40-sovcloud-bond0.network").content_string
    assert "VLAN=vlan20" in trunk and "VLAN=vlan30" in trunk
    for vid in (20, 30):
        netdev = host.file(f"/etc/systemd/network/20-sovcloud-vlan{vid}.netdev").content_string
        assert "Kind=vlan" in netdev and f"Id={vid}" in netdev
    vlan20 = host.file("/etc/systemd/network/50-sovcloud-vlan20.network").content_string
    assert f"Address={lab.ip('1.')}" in vlan20 and "MTUBytes=9000" in vlan20


def test_storage_network_carries_jumbo_frames(lab: LabSession):
    st_storage = next(a for a in _addresses(_links(lab, "lab-st-01")["eth1"]) if a.startswith(lab.ip("1.")))
    # The machine sits on the storage network (10.<octet>.1.1) like a storage client would.
    assert lab.ssh("lab-st-01", f"ping -c1 -W2 -M do -s 8972 {lab.ip('1.1')}", check=False).returncode == 0
    assert st_storage.split("/")[0]


def test_networkd_and_nftables_loaded(lab: LabSession):
    for host in HOSTS:
        ti = lab.testinfra(host)
        assert ti.service("systemd-networkd").is_running
        assert ti.service("nftables").is_enabled
        ruleset = ti.check_output("nft list table inet sovcloud_filter")
        assert "policy drop" in ruleset and "tcp dport" in ruleset


def test_port_not_opened_by_the_model_is_unreachable(lab: LabSession):
    """A real listener on a closed port: reachable on the host itself, not from the bridge."""
    unit = "sovcloud-test-listener"
    lab.ssh("lab-st-01", f"sudo systemd-run --unit={unit} python3 -m http.server 5555 --bind 0.0.0.0")
    try:
        lab.ssh("lab-st-01", WAIT_LISTEN.format(port=5555))
        assert (
            lab.ssh(
                "lab-st-01",
                "python3 -c \"import socket; socket.create_connection(('127.0.0.1', 5555), 3)\"",
                check=False,
            ).returncode
            == 0
        )
        assert not _can_connect(lab.ip("0.13"), 5555)
        assert _can_connect(lab.ip("0.13"), 22)
    finally:
        lab.ssh("lab-st-01", f"sudo systemctl stop {unit}", check=False)


def test_ceph_port_open_on_storage_interface_only(lab: LabSession):
    unit = "sovcloud-test-ceph-mon"
    lab.ssh("lab-st-01", f"sudo systemd-run --unit={unit} python3 -m http.server 6789 --bind 0.0.0.0")
    try:
        lab.ssh("lab-st-01", WAIT_LISTEN.format(port=6789))
        st_storage = next(a for a in _addresses(_links(lab, "lab-st-01")["eth1"]) if a.startswith(lab.ip("1.")))
        assert _can_connect(st_storage.split("/")[0], 6789)  # from the storage network, on the storage NIC
        assert not _can_connect(lab.ip("0.13"), 6789)  # from the management network: closed
    finally:
        lab.ssh("lab-st-01", f"sudo systemctl stop {unit}", check=False)


def test_networking_and_firewall_second_run_and_check_mode_change_nothing(lab: LabSession):
    for kwargs in ({}, {"check": True, "diff": True}):
        result = lab.converge(playbook=PLAYBOOK, **kwargs)
        assert result.succeeded, {h: o.failures for h, o in result.hosts.items()}
        assert {h: o.changed for h, o in result.hosts.items()} == dict.fromkeys(HOSTS, 0), {
            h: o.changed_tasks for h, o in result.hosts.items()
        }
