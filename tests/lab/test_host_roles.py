"""Host networking, firewall and the host roles on the lab's real hosts (converged by site.yml)."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
from typing import Any

import pytest

from .conftest import LabSession

# After the baseline tests: these roles change the hosts' network and firewall for the rest of the session.
pytestmark = [pytest.mark.lab, pytest.mark.host_roles]
PLAYBOOK = "playbooks/site.yml"

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


def test_site_converges_every_role_of_each_host(lab: LabSession):
    result = lab.first_converge
    assert result.succeeded, {h: o.failures for h, o in result.hosts.items()}
    roles = set().union(*(outcome.changed_roles for outcome in result.hosts.values()))
    assert {"common", "networking", "firewall", "hardening", "controller", "network_node", "hypervisor"} <= roles, roles


def test_access_interfaces_carry_model_address_and_mtu(lab: LabSession):
    st = _links(lab, "lab-st-01")
    assert lab.ip("0.13") + "/24" in _addresses(st["eth0"]) and st["eth0"]["mtu"] == 1500
    storage = [a for a in _addresses(st["eth1"]) if a.startswith(lab.ip("1."))]
    assert storage and st["eth1"]["mtu"] == 9000
    ctl = _links(lab, "lab-ctl-01")
    assert any(a.startswith(lab.ip("2.")) for a in _addresses(ctl["eth1"])) and ctl["eth1"]["mtu"] == 9000
    # lab-ctl-01 is a network node: its external network is carried by br-ex (Neutron's), eth2 is its port
    assert any(a.startswith(lab.ip("3.")) for a in _addresses(ctl["br-ex"])) and ctl["br-ex"]["mtu"] == 1500
    assert ctl["eth2"].get("master") == "br-ex" and not _addresses(ctl["eth2"]) and ctl["eth2"]["mtu"] == 1500


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


# A second converge and check mode of site.yml (every role) change nothing: test_site_common.py.


# ---------------------------------------------------------------- controller (lab-ctl-01)
def test_controller_holds_the_control_plane_vips_through_keepalived(lab: LabSession):
    assert lab.ssh("lab-ctl-01", "systemctl is-active keepalived").stdout.strip() == "active"
    ctl = _links(lab, "lab-ctl-01")
    assert lab.ip("0.5") + "/24" in _addresses(ctl["eth0"])  # internal VIP on the management interface
    assert lab.ip("3.5") + "/24" in _addresses(ctl["br-ex"])  # external VIP on the external bridge
    lab.ssh("lab-ctl-01", "sudo keepalived --config-test -f /etc/keepalived/keepalived.conf")
    # The VIP answers from the lab machine (ARP for the floating address works): sshd listens on the host's
    # own address only, so the controller's kernel refuses at once; an address nobody holds would time out.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((lab.ip("0.5"), 22), timeout=5)


def test_controller_sysctls_of_the_control_plane(lab: LabSession):
    assert lab.ssh("lab-ctl-01", "cat /proc/sys/net/ipv4/ip_nonlocal_bind").stdout.strip() == "1"
    conf = lab.ssh("lab-ctl-01", "cat /etc/sysctl.d/60-sovcloud-controller.conf").stdout
    assert "net.ipv4.ip_nonlocal_bind=1" in conf.replace(" ", "")
    assert "nf_conntrack_max" not in conf  # kernel-wide: not this container's to set


# ---------------------------------------------------------------- network node (lab-ctl-01)
def test_network_node_forwards_packets_because_the_model_waives_it(lab: LabSession):
    assert lab.ssh("lab-ctl-01", "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
    assert lab.ssh("lab-st-01", "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"  # not a network node
    link = json.loads(lab.ssh("lab-ctl-01", "ip -j -d link show br-ex").stdout)[0]
    assert link["linkinfo"]["info_kind"] == "bridge"


def test_network_node_refuses_forwarding_without_a_waiver(lab: LabSession):
    before = lab.ssh("lab-ctl-01", "md5sum /etc/sysctl.d/*").stdout
    result = lab.converge(playbook=PLAYBOOK, limit="lab-ctl-01", tags="network_node",
                          extravars={"sovcloud_waivers": []})  # fmt: skip
    assert not result.succeeded
    assert any("does not waive" in f and "R12.ip_forward" in f for f in result.hosts["lab-ctl-01"].failures)
    assert lab.ssh("lab-ctl-01", "md5sum /etc/sysctl.d/*").stdout == before


# ---------------------------------------------------------------- hypervisor (lab-hv-01)
def test_libvirt_listens_over_tls_on_the_management_address_only(lab: LabSession):
    listeners = lab.ssh("lab-hv-01", "ss -Hltn").stdout
    local = [line.split()[3] for line in listeners.splitlines()]
    libvirt = sorted(address for address in local if address.endswith((":16514", ":16509")))
    assert libvirt == [f"{lab.ip('0.12')}:16514"], listeners
    assert lab.ssh("lab-hv-01", "systemctl is-enabled libvirtd-tcp.socket", check=False).stdout.strip() == "masked"
    # A real TLS handshake from the lab machine, verified against the host's CA (libvirtd starts on demand).
    ca = lab.ssh("lab-hv-01", "sudo cat /etc/pki/CA/cacert.pem").stdout
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as handle:
        handle.write(ca)
        handle.flush()
        argv = ["openssl", "s_client", "-connect", f"{lab.ip('0.12')}:16514", "-CAfile", handle.name]
        probe = subprocess.run([*argv, "-verify_return_error"], input="", capture_output=True, text=True, timeout=30)
    assert "Verify return code: 0 (ok)" in probe.stdout, probe.stdout[-2000:] + probe.stderr[-2000:]
    assert lab.ssh("lab-hv-01", "systemctl is-active libvirtd.service libvirtd-tls.socket").stdout.split() == [
        "active",
        "active",
    ]
    # (lab-hv-01's other networks ride a bond and VLANs, which the lab machine's kernel cannot create: the
    # listening address above is the proof that nothing but the management address is bound.)


def test_hypervisor_kernel_settings_of_the_class_are_written(lab: LabSession):
    grub = lab.ssh("lab-hv-01", "cat /etc/default/grub.d/50-sovcloud-hypervisor.cfg").stdout
    assert 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX iommu=pt"' in grub  # class lab-general: generic CPU, no hugepages
    assert "nested=0" in lab.ssh("lab-hv-01", "cat /etc/modprobe.d/sovcloud-kvm.conf").stdout
    assert "kvm" in lab.ssh("lab-hv-01", "cat /etc/modules-load.d/sovcloud-kvm.conf").stdout.split()
    nova = lab.ssh("lab-hv-01", "cat /etc/sovcloud/nova-compute.conf").stdout
    assert "reserved_host_memory_mb = 1024" in nova and "cpu_shared_set = 1-1" in nova
    assert lab.ssh("lab-hv-01", "cat /etc/tuned/active_profile").stdout.strip() == "virtual-host"
    for package in ("qemu-system-x86", "libvirt-daemon-system", "tuned"):
        lab.ssh("lab-hv-01", f"dpkg-query -W -f='${{Status}}' {package} | grep -q 'install ok installed'")


def test_hypervisor_refuses_to_run_without_tls_material(lab: LabSession):
    before = lab.ssh("lab-hv-01", "sudo md5sum /etc/pki/libvirt/servercert.pem").stdout
    result = lab.converge(playbook=PLAYBOOK, limit="lab-hv-01", tags="host_role",
                          extravars={"hypervisor_libvirt_tls_selfsigned": False})  # fmt: skip
    assert not result.succeeded
    assert any("TLS material" in f for f in result.hosts["lab-hv-01"].failures), result.hosts["lab-hv-01"].failures
    assert lab.ssh("lab-hv-01", "sudo md5sum /etc/pki/libvirt/servercert.pem").stdout == before


def test_hypervisor_class_with_pinning_and_hugepages_is_written_to_the_command_line(lab: LabSession):
    """A class with dedicated CPUs, 1G hugepages, SMT off and an Intel CPU (given as an extra var: the lab's own
    class has none of these) renders the matching GRUB command line and Nova CPU set; the lab's class is restored."""
    pinned = {"name": "pinned", "cpu_vendor": "intel", "cpu_allocation_ratio": 1.0, "ram_allocation_ratio": 1.0,
              "cpu_policy": "dedicated", "reserved_host_cpus": 1, "reserved_host_memory_mb": 2048,
              "hugepages": {"size": "1G", "count": 4}, "smt": "off", "nested_virtualization": False}  # fmt: skip
    try:
        result = lab.converge(limit="lab-hv-01", tags="host_role", extravars={"sovcloud_hypervisor_class": pinned})
        assert result.succeeded, result.hosts["lab-hv-01"].failures
        grub = lab.ssh("lab-hv-01", "cat /etc/default/grub.d/50-sovcloud-hypervisor.cfg").stdout
        wanted = ["default_hugepagesz=1G", "hugepagesz=1G", "hugepages=4", "intel_iommu=on", "iommu=pt", "nosmt",
                  "isolcpus=managed_irq,domain,1-1", "nohz_full=1-1", "rcu_nocbs=1-1", "irqaffinity=0-0"]  # fmt: skip
        assert set(wanted) <= set(grub.split('"')[1].split()), grub
        assert "kvm_intel" in lab.ssh("lab-hv-01", "cat /etc/modules-load.d/sovcloud-kvm.conf").stdout.split()
        nova = lab.ssh("lab-hv-01", "cat /etc/sovcloud/nova-compute.conf").stdout
        assert "cpu_dedicated_set = 1-1" in nova and "reserved_host_memory_mb = 2048" in nova
        assert lab.ssh("lab-hv-01", "cat /etc/tuned/active_profile").stdout.strip() == "cpu-partitioning"
        assert "isolated_cores=1-1" in lab.ssh("lab-hv-01", "cat /etc/tuned/cpu-partitioning-variables.conf").stdout
    finally:
        restored = lab.converge(limit="lab-hv-01", tags="host_role")
        assert restored.succeeded, restored.hosts["lab-hv-01"].failures
    assert 'iommu=pt"' in lab.ssh("lab-hv-01", "cat /etc/default/grub.d/50-sovcloud-hypervisor.cfg").stdout
