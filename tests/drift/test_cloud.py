"""Parsing a refreshing Pulumi preview through the Automation API.

The Pulumi engine cannot run here (no CLI, no cloud): a mock of
``pulumi.automation.select_stack`` stands in for it. It feeds the real SDK event
classes (`EngineEvent.from_json`) with JSON shaped like the engine's event
stream, and returns a real `PreviewResult`.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from pulumi import automation as auto
from pulumi.automation.events import EngineEvent

from sovcloud_infra.drift.cloud import NO_CLI, NO_CREDENTIALS, cloud_preconditions, run_cloud_drift
from sovcloud_infra.drift.redact import REDACTED

NET = "urn:pulumi:lab::sovcloud::sovcloud:network:Provider$openstack:networking/network:Network::lab-provider"
FLAVOR = "urn:pulumi:lab::sovcloud::openstack:compute/flavor:Flavor::scs-2v-4"
USER = "urn:pulumi:lab::sovcloud::openstack:identity/user:User::svc-backup"


def _step(op: str, urn: str, rtype: str, old: dict[str, Any] | None, new: dict[str, Any] | None, **extra: Any):
    def state(s: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if s is None else {"type": rtype, "urn": urn, "id": "id-1", "parent": "", "provider": "", **s}

    metadata = {"op": op, "urn": urn, "type": rtype, "provider": "", "old": state(old), "new": state(new), **extra}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, "resourcePreEvent": {"metadata": metadata}})


def engine_events() -> list[EngineEvent]:
    return [
        EngineEvent.from_json({"sequence": 0, "timestamp": 0, "preludeEvent": {"config": {}}}),
        # Refresh steps: one found nothing, one found the network's MTU changed in the cloud.
        _step("refresh", FLAVOR, "openstack:compute/flavor:Flavor", {"outputs": {"ram": 4096}}, None),
        _step(
            "refresh",
            NET,
            "openstack:networking/network:Network",
            {"outputs": {"mtu": 1500}},
            {"outputs": {"mtu": 9000}},
            diffs=["mtu"],
            detailedDiff={"mtu": {"diffKind": "update", "inputDiff": False}},
        ),
        # The program would set it back (update), and replace the flavor whose RAM someone changed.
        _step(
            "update",
            NET,
            "openstack:networking/network:Network",
            {"outputs": {"mtu": 1500, "tags": ["a"]}, "inputs": {"mtu": 9000}},
            {"inputs": {"mtu": 9000, "tags": ["a", "b"]}},
            diffs=["mtu", "tags"],
            detailedDiff={
                "mtu": {"diffKind": "update", "inputDiff": False},
                "tags[1]": {"diffKind": "add", "inputDiff": True},
            },
        ),
        _step(
            "replace",
            FLAVOR,
            "openstack:compute/flavor:Flavor",
            {"outputs": {"ram": 2048}},
            {"inputs": {"ram": 4096}},
            keys=["ram"],
            diffs=["ram"],
            detailedDiff={"ram": {"diffKind": "update-replace", "inputDiff": False}},
        ),
        _step("create-replacement", FLAVOR, "openstack:compute/flavor:Flavor", None, {"inputs": {"ram": 4096}}),
        # A secret property: its value never reaches the report.
        _step(
            "update",
            USER,
            "openstack:identity/user:User",
            {"outputs": {"password": "old-secret"}},
            {"inputs": {"password": "[secret]"}},
            diffs=["password"],
            detailedDiff={"password": {"diffKind": "update", "inputDiff": True}},
        ),
        _step("same", "urn:pulumi:lab::sovcloud::pulumi:pulumi:Stack::sovcloud-lab", "pulumi:pulumi:Stack", {}, {}),
    ]


class FakeStack:
    """Stands in for the Pulumi engine: replays `events` to on_event and returns a PreviewResult."""

    def __init__(self, events: list[EngineEvent], summary: dict[str, int]) -> None:
        self.events, self.summary = events, summary
        self.kwargs: dict[str, Any] = {}

    def preview(self, **kwargs: Any) -> auto.PreviewResult:
        self.kwargs = kwargs
        for event in self.events:
            kwargs["on_event"](event)
        return auto.PreviewResult(stdout="", stderr="", change_summary=self.summary)


def test_a_refreshing_preview_gives_resources_and_properties_that_differ():
    fake = FakeStack(engine_events(), {"same": 1, "update": 2, "replace": 1})
    with mock.patch.object(auto, "select_stack", return_value=fake) as select:
        report = run_cloud_drift("lab")
    assert select.call_args.kwargs["stack_name"] == "lab"  # selected, never created
    assert fake.kwargs["refresh"] is True and fake.kwargs["diff"] is True
    assert report.error is None and report.change_summary == {"same": 1, "update": 2, "replace": 1}
    by_name = {r.name: r for r in report.resources}
    assert set(by_name) == {"lab-provider", "scs-2v-4", "svc-backup"}
    network = by_name["lab-provider"]
    assert network.op == "update"  # the refresh and the update of one URN are one resource
    props = {p.path: p for p in network.properties}
    assert (props["mtu"].old, props["mtu"].new, props["mtu"].kind) == (1500, 9000, "update")
    assert (props["tags[1]"].old, props["tags[1]"].new, props["tags[1]"].kind) == (None, "b", "add")
    flavor = by_name["scs-2v-4"]
    assert flavor.op == "replace" and flavor.replace_keys == ["ram"]
    assert (flavor.properties[0].old, flavor.properties[0].new) == (2048, 4096)
    password = by_name["svc-backup"].properties[0]
    assert password.old == REDACTED and password.new == REDACTED


def test_no_change_is_no_drift():
    fake = FakeStack(engine_events()[:2], {"same": 12})
    with mock.patch.object(auto, "select_stack", return_value=fake):
        report = run_cloud_drift("lab")
    assert report.resources == [] and report.error is None and report.status.value == "ok"


def test_a_summary_with_changes_but_no_step_events_is_an_error():
    with mock.patch.object(auto, "select_stack", return_value=FakeStack([], {"update": 3})):
        report = run_cloud_drift("lab")
    assert report.error and "no step event" in report.error


@pytest.mark.parametrize(
    ("raised", "words"),
    [
        (FileNotFoundError("pulumi"), "not installed"),
        (auto.StackNotFoundError(auto.CommandResult("", "no stack named 'lab' found", 255)), "never creates"),
        (auto.CommandError(auto.CommandResult("", "error: 401 Unauthorized", 255)), "401 Unauthorized"),
    ],
)
def test_cli_and_engine_errors_are_reported_not_raised(raised: Exception, words: str):
    with mock.patch.object(auto, "select_stack", side_effect=raised):
        report = run_cloud_drift("lab")
    assert report.error and words in report.error and report.status.value == "error"


def test_preconditions(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert cloud_preconditions("lab", {"PATH": str(tmp_path)}) == NO_CLI
    fake = bin_dir / "pulumi"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    env = {"PATH": str(bin_dir), "OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml")}
    # The lab's stack file names a clouds.yaml entry, but no clouds.yaml exists here.
    if not any(p.is_file() for p in (tmp_path / "none.yaml",)):
        assert cloud_preconditions("no-such-stack", env) == NO_CREDENTIALS
    assert cloud_preconditions("no-such-stack", {**env, "OS_CLOUD": "x"}) is None
    foreign = cloud_preconditions(
        "no-such-stack", {**env, "OS_CLOUD": "x", "PULUMI_BACKEND_URL": "https://api.pulumi.com"}
    )
    assert foreign and "Pulumi Cloud" in foreign
