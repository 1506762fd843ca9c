"""The per-host plan: levels are cumulative, waivers match by ID or recommendation and by host group,
expired waivers are found, and what a container cannot show is set aside with its reason."""

from __future__ import annotations

import datetime as dt

import pytest

from sovcloud_infra.hardening.plan import build_plan, expired_waivers, host_waivers, waiver_for, waiver_matches


def _waiver(control: str, group: str = "hypervisors", expires: str = "2027-11-30") -> dict[str, str]:
    return {"control": control, "host_group": group, "justification": "j", "owner": "sre-core", "expires": expires}


def _ids(plan: dict[str, list[dict[str, object]]], key: str) -> set[str]:
    return {str(e["id"]) for e in plan[key]}


def test_waiver_matches_the_control_or_its_recommendation():
    assert waiver_matches("R12.ip_forward", "R12.ip_forward")
    assert waiver_matches("R12", "R12.ip_forward")
    assert not waiver_matches("R12.ip_forward", "R12.ip_forward_x")
    assert not waiver_matches("R1", "R12.ip_forward")
    assert not waiver_matches("R12.rp_filter", "R12.rp_filter_default")


def test_waivers_apply_to_their_host_group_and_all():
    waivers = [_waiver("R12.ip_forward"), _waiver("R28.var_noexec", "storage_nodes"), _waiver("R9", "all")]
    assert [w["control"] for w in host_waivers(waivers, ["hypervisors"])] == ["R12.ip_forward", "R9"]


def test_exact_waiver_preferred_over_recommendation_waiver():
    waivers = [_waiver("R12", "all"), {**_waiver("R12.ip_forward"), "justification": "exact"}]
    found = waiver_for("R12.ip_forward", waivers)
    assert found is not None and found["justification"] == "exact"


def test_expired_waivers_are_found_but_the_expiry_day_is_still_valid():
    today = dt.date(2027, 11, 30)
    waivers = [_waiver("R12.ip_forward", expires="2027-11-30"), _waiver("R9", expires="2027-11-29")]
    assert [w["control"] for w in expired_waivers(waivers, today)] == ["R9"]
    assert expired_waivers([{**_waiver("R9"), "expires": dt.date(2020, 1, 1)}], today)


def test_levels_are_cumulative():
    minimal = build_plan("minimal", [], [], in_container=False)
    inter = build_plan("intermediary", [], [], in_container=False)
    enhanced = build_plan("enhanced", [], [], in_container=False)
    assert _ids(minimal, "enforce") < _ids(inter, "enforce") < _ids(enhanced, "enforce")
    assert "R12.rp_filter" in _ids(minimal, "above_level")
    assert "R7.iommu_force" in _ids(inter, "above_level") and "R7.iommu_force" in _ids(enhanced, "enforce")


def test_a_waived_control_is_not_enforced_on_its_group_only():
    waivers = [_waiver("R12.ip_forward")]
    hv = build_plan("intermediary", waivers, ["hypervisors"], in_container=True)
    st = build_plan("intermediary", waivers, ["storage_nodes"], in_container=True)
    assert "R12.ip_forward" in _ids(hv, "waived") and "R12.ip_forward" not in _ids(hv, "enforce")
    assert "R12.ip_forward" in _ids(st, "enforce")
    waived = next(e for e in hv["waived"] if e["id"] == "R12.ip_forward")
    assert waived["waiver"]["justification"] == "j"


def test_containers_set_aside_what_they_cannot_show_with_the_reason():
    plan = build_plan("intermediary", [], [], in_container=True)
    na = {str(e["id"]): e["reason"] for e in plan["not_applicable"]}
    assert "R9.dmesg_restrict" in na and "R28.tmp_noexec" in na and "R8.l1tf" in na
    assert all(na.values())
    assert "R12.rp_filter" in _ids(plan, "enforce") and "R9.dmesg_restrict" not in _ids(plan, "enforce")
    assert "R9.dmesg_restrict" in _ids(build_plan("intermediary", [], [], in_container=False), "enforce")


def test_every_control_lands_in_exactly_one_bucket():
    plan = build_plan("enhanced", [_waiver("R12")], ["hypervisors"], in_container=True)
    ids = [str(e["id"]) for entries in plan.values() for e in entries]
    assert len(ids) == len(set(ids))


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="unknown hardening level"):
        build_plan("paranoid", [], [], in_container=False)


def test_host_specific_not_applicable_controls_carry_their_reason():
    plan = build_plan("intermediary", [], [], in_container=True, not_applicable={"R13": "the host uses IPv6"})
    na = {str(e["id"]): e["reason"] for e in plan["not_applicable"]}
    assert na["R13.disable_ipv6"] == "the host uses IPv6"
    assert "R13.disable_ipv6" not in _ids(plan, "enforce")
