"""Address allocation is stable: other hosts never move when hosts are added, removed or reordered.

The property is checked twice: on the allocation function itself (many
examples), and end to end through real stack files loaded by the real loader
(fewer examples, since each one writes and parses a stack).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovcloud_infra.model import load_region
from sovcloud_infra.model.ipam import RACK_BLOCK, allocate
from sovcloud_infra.model.schema import Network

TODAY = dt.date(2026, 11, 29)
REPO = Path(__file__).resolve().parents[2]

positions = st.sets(st.tuples(st.integers(1, 8), st.integers(1, 40)), min_size=1, max_size=60)


def _net(cidr: str = "10.0.0.0/16") -> Network:
    return Network.model_validate({"name": "n", "purpose": "management", "physical_network": "p", "cidr": cidr})


@given(positions, positions, st.randoms())
def test_allocation_depends_only_on_own_position(existing, added, rnd):
    net = _net()
    before = {p: allocate(net, *p) for p in existing}
    changed = list(existing | added)
    rnd.shuffle(changed)
    changed = changed[: max(1, len(changed) - rnd.randint(0, len(changed) // 2))]  # drop some
    after = {p: allocate(net, *p) for p in changed}
    for pos in set(before) & set(after):
        assert before[pos] == after[pos]


@given(positions)
def test_distinct_positions_get_distinct_addresses_inside_the_network(pos):
    net = _net()
    addresses = [allocate(net, r, u) for r, u in pos]
    assert None not in addresses
    assert len(set(addresses)) == len(addresses)
    cidr = ipaddress.IPv4Network(net.cidr)
    assert all(a in cidr and a not in (cidr.network_address, cidr.broadcast_address) for a in addresses)


def test_allocation_is_refused_rather_than_wrapped_when_the_network_is_too_small():
    net = _net("10.0.0.0/24")  # 239 allocatable addresses: 3 racks and a bit
    assert allocate(net, 1, 1) == ipaddress.IPv4Address("10.0.0.16")
    assert allocate(net, 2, 1) == ipaddress.IPv4Address("10.0.0.16") + RACK_BLOCK
    assert allocate(net, 5, 1) is None


# --------------------------------------------------------------------------- #
# End to end: real files, real loader
# --------------------------------------------------------------------------- #

host_plan = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 20)),
    unique=True,
    min_size=2,
    max_size=14,
)


def _write_stack(root: Path, hosts: list[tuple[str, int]]) -> Path:
    """The lab's section files plus racks 'a' and 'b' holding `hosts` (in the given order)."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "stacks" / "lab", root, ignore=shutil.ignore_patterns("racks"))
    (root / "racks").mkdir()
    for index, rack in enumerate(["a", "b"], start=1):
        rack_hosts = []
        for n, (r, u) in enumerate(hosts):
            if r != rack:
                continue
            serial = index * 100 + u
            rack_hosts.append(
                {
                    "hostname": f"h-{rack}-{u}",
                    "position_u": u,
                    "height_u": 1,
                    "roles": ["controller"],
                    "hardware": "lab-container",
                    "nics": [{"name": "eth0", "mac": f"52:54:00:00:{serial // 256:02x}:{serial % 256:02x}"}],
                    "networks": [{"network": "lab-mgmt", "interface": "eth0"}],
                    "disks": [{"device": "/dev/vda", "size_gb": 10, "purpose": "os"}],
                    "_order": n,
                }
            )
        for h in rack_hosts:
            del h["_order"]
        doc = {
            "rack": {"name": f"rack-{rack}", "datacenter": "lab-dc1", "index": index, "power_budget_w": 100000},
            "hosts": rack_hosts,
        }
        (root / "racks" / f"rack-{rack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def _addresses(root: Path) -> dict[str, str]:
    region = load_region(root, today=TODAY)
    return {h.hostname: str(h.networks[0].ip) for h in region.hosts}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host_plan, host_plan, st.randoms())
def test_loaded_region_keeps_addresses_when_hosts_change(tmp_path_factory, first, extra, rnd):
    tmp = tmp_path_factory.mktemp("ipam")
    before = _addresses(_write_stack(tmp / "before", first))
    # Reorder, remove some, add others (positions already taken are skipped: validation forbids sharing units).
    changed = list(first)
    rnd.shuffle(changed)
    changed = changed[rnd.randint(0, len(changed) // 2) :]
    taken = set(changed)
    changed += [p for p in extra if p not in taken]
    after = _addresses(_write_stack(tmp / "after", changed))
    common = set(before) & set(after)
    assert all(before[h] == after[h] for h in common), {h: (before[h], after[h]) for h in common}
