"""Host-event parsing: recorded ansible-runner events -> tasks that would change, per host and control."""

from __future__ import annotations

import copy
from typing import Any

from sovcloud_infra.audit.results import ControlResult, HostAudit, ResultStatus
from sovcloud_infra.drift.hosts import changes_from_events, host_drift, merge
from sovcloud_infra.drift.redact import REDACTED
from sovcloud_infra.drift.results import UNTAGGED, DriftStatus
from sovcloud_infra.drift.tags import TagIndex
from sovcloud_infra.stacks import PROJECT_ROOT

from .conftest import CAPTURE


def _index() -> TagIndex:
    return TagIndex.build(CAPTURE, playbooks=[CAPTURE / "play.yml"])


def test_tags_come_from_the_task_its_blocks_and_its_imports():
    index = _index()
    # inner.yml:4 is in a block tagged SSH-R3, imported by a task tagged R33, and tagged R12.rp_filter itself.
    assert index.tags_of(f"{CAPTURE}/inner.yml:4") == {"R12.rp_filter", "SSH-R3", "R33"}
    assert index.tags_of(f"{CAPTURE}/inner.yml:10") == {"R33"}
    assert index.tags_of(f"{CAPTURE}/play.yml:8") == {"R59"}
    assert index.tags_of("/elsewhere/x.yml:3") == set()
    assert index.tags_of(None) == set()


def test_the_project_roles_tasks_get_their_control_ids():
    index = TagIndex.build(PROJECT_ROOT)
    sysctl = index.tags_of(str(PROJECT_ROOT / "roles/hardening/tasks/sysctl.yml:2"))
    assert {"R12.rp_filter", "R9.kptr_restrict", "hardening"} <= sysctl
    # common/tasks/main.yml imports accounts.yml with the tag R33: every task there inherits it.
    assert "R33" in index.tags_of(str(PROJECT_ROOT / "roles/common/tasks/accounts.yml:2"))


def test_changes_unreachable_and_censored_results(runner_events: list[dict[str, Any]]):
    found = changes_from_events(runner_events, _index(), known_controls=None)
    assert set(found) == {"localhost", "ghost"}
    ghost = found["ghost"]
    assert ghost.unreachable and ghost.changes == []
    assert "unreachable" in ghost.errors[0] and "Connection refused" in ghost.errors[0]

    local = found["localhost"]
    assert local.errors == []  # the failed task had ignore_errors
    assert [c.task for c in local.changes] == ["A config file", "A secret file"]
    config, secret = local.changes
    assert config.controls == ["R12.rp_filter", "R33", "SSH-R3"]
    assert config.action == "ansible.builtin.copy"
    assert config.diff is not None
    assert "-a=0" in config.diff and "+a=1" in config.diff
    assert "abcdef" not in config.diff and f"+api_key: {REDACTED}" in config.diff
    # no_log: Ansible censored the result (no 'changed' key): the display line says it changed, no diff shown.
    assert secret.censored and secret.diff is None and secret.controls == ["R59"]
    assert local.controls_seen == {"R12.rp_filter", "R33", "SSH-R3", "R59"}


def test_a_failure_in_check_mode_is_an_error_for_that_host(runner_events: list[dict[str, Any]]):
    events = copy.deepcopy(runner_events)
    for event in events:
        if event["event"] == "runner_on_failed":
            event["event_data"]["ignore_errors"] = None
    local = changes_from_events(events, _index())["localhost"]
    assert local.errors == ["task 'Fails' failed in check mode: non-zero return code"]


def test_host_drift_merges_changes_and_audit_per_control(runner_events: list[dict[str, Any]]):
    found = changes_from_events(runner_events, _index(), known_controls={"R12.rp_filter", "R59", "R33"})
    audit = HostAudit(
        host="localhost",
        results=[
            _result("R33", ResultStatus.passed),
            _result("R40.x", ResultStatus.failed, "bad owner"),
            _result("R41.y", ResultStatus.waived, "waiver"),
        ],
    )
    drift = host_drift(found["localhost"], audit, rack="lab-r01", datacenter="lab-dc1")
    by_id = {c.control: c for c in drift.controls}
    assert by_id["R12.rp_filter"].status == DriftStatus.drifted
    assert by_id["R12.rp_filter"].tasks == ["A config file"]
    assert by_id["R59"].tasks == ["A secret file"]
    assert by_id["R33"].status == DriftStatus.drifted and by_id["R33"].audit == "pass"
    assert by_id["R40.x"].status == DriftStatus.drifted and by_id["R40.x"].audit_summary == "bad owner"
    assert by_id["R41.y"].status == DriftStatus.skipped
    assert drift.status == DriftStatus.drifted and drift.rack == "lab-r01"


def test_untagged_changes_and_unreachable_hosts(runner_events: list[dict[str, Any]]):
    found = changes_from_events(runner_events)  # no tag index: no control IDs at all
    hosts = merge(found, None, None, {"localhost": ("r02", "dc1"), "ghost": ("r01", "dc1")})
    assert [h.host for h in hosts] == ["ghost", "localhost"]  # by rack, then name
    ghost, local = hosts
    assert ghost.status == DriftStatus.error and ghost.unreachable
    assert [c.control for c in local.controls] == [UNTAGGED]
    assert local.controls[0].tasks == ["A config file", "A secret file"]


def _result(control: str, status: ResultStatus, summary: str | None = None) -> ControlResult:
    return ControlResult(
        control=control,
        recommendation=control.split(".")[0],
        title=control,
        recommendation_title=control,
        level="minimal",
        area="x",
        status=status,
        summary=summary,
        reason=summary if status != ResultStatus.passed else None,
    )


def test_a_task_serving_many_controls_is_blamed_on_those_the_audit_fails():
    """One sysctl.d file carries forty controls: the drifted one is the control the audit fails, not all forty."""
    from sovcloud_infra.drift.hosts import HostChanges
    from sovcloud_infra.drift.results import TaskChange

    sysctl_task = TaskChange(task="Persist the kernel parameters", controls=["R12.accept_redirects", "R12.rp_filter"])
    changes = HostChanges("lab-hv-01", changes=[sysctl_task], controls_seen={"R12.accept_redirects", "R12.rp_filter"})
    audit = HostAudit(host="lab-hv-01", results=[_result("R12.accept_redirects", ResultStatus.failed, "live 1"),
                                                 _result("R12.rp_filter", ResultStatus.passed)])  # fmt: skip
    by_id = {c.control: c for c in host_drift(changes, audit).controls}
    assert by_id["R12.accept_redirects"].status == DriftStatus.drifted
    assert by_id["R12.rp_filter"].status == DriftStatus.ok
    # Without a failing audit result, the change is reported on every control the task serves.
    quiet = HostAudit(host="lab-hv-01", results=[_result("R12.rp_filter", ResultStatus.passed)])
    drifted = {c.control for c in host_drift(changes, quiet).controls if c.status == DriftStatus.drifted}
    assert drifted == {"R12.accept_redirects", "R12.rp_filter"}


def test_secnumcloud_tags_are_controls_too():
    from sovcloud_infra.drift.hosts import control_ids

    assert control_ids(["common", "time", "snc_12_8", "R59", "bogus"], known={"R59"}) == ["R59", "snc_12_8"]


def test_a_handler_echoing_a_change_is_not_a_drift_of_its_own():
    """Check mode runs the handlers that a changed task notifies; the change is the task's, with its controls."""
    events = [
        {"event": "playbook_on_task_start", "event_data": {"task_uuid": "t1", "task": "Configure chrony"}},
        {"event": "runner_on_ok", "event_data": {"host": "lab-st-01", "task_uuid": "t1", "task": "Configure chrony",
                                                  "task_path": None, "res": {"changed": True}}},
        {"event": "playbook_on_handler_task_start", "event_data": {"task_uuid": "h1", "task": "Restart chrony"}},
        {"event": "runner_on_ok", "event_data": {"host": "lab-st-01", "task_uuid": "h1", "task": "Restart chrony",
                                                  "task_path": None, "res": {"changed": True}}},
    ]  # fmt: skip
    found = changes_from_events(events)
    assert [c.task for c in found["lab-st-01"].changes] == ["Configure chrony"]
    # As ansible-runner really reports it in check mode (seen on the lab): no handler start event, but the
    # result's task_path is the role's handlers file.
    events[3]["event_data"] = {**events[3]["event_data"], "task_uuid": "other",
                               "task_path": "/work/main/roles/common/handlers/main.yml:6"}  # fmt: skip
    del events[2]
    assert [c.task for c in changes_from_events(events)["lab-st-01"].changes] == ["Configure chrony"]
