"""The reports say the same as the results: JUnit counts, a self-contained HTML page, JSON, terminal text."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from sovcloud_infra.audit.reports import ReportFormat, render
from sovcloud_infra.audit.results import AuditReport, HostAudit
from sovcloud_infra.hardening.catalogue import Catalogue

from .conftest import audit, compliant_evidence, context


@pytest.fixture
def report(catalogue: Catalogue) -> AuditReport:
    broken = compliant_evidence(container="systemd-nspawn")
    broken["sshd"]["config"]["permitrootlogin"] = ["yes"]
    broken["files"]["/etc/shadow"]["files"][0]["mode"] = "0644"
    broken["scripts"][next(iter(broken["scripts"]))]["lines"] = ["<script>alert(1)</script> \x1b[31m\x00"]
    waivers = [
        {
            "control": "R12.ip_forward",
            "host_group": "hypervisors",
            "justification": "OVS forwards <tenant> traffic & more",
            "owner": "sre-compute",
            "expires": "2027-11-30",
        }
    ]
    hosts = [
        audit(catalogue, compliant_evidence()).model_copy(update={"host": "ctl-01"}),
        audit(catalogue, broken, context(groups=["hypervisors"], waivers=waivers)).model_copy(update={"host": "hv-01"}),
        HostAudit(
            host="st-01", error="unreachable: ssh: connect to host 10.0.0.13 port 22: No route", unreachable=True
        ),
    ]
    return AuditReport(
        stack="lab", catalogue_version=1, generated="2026-11-29T12:00:00+00:00", seconds=3.2, hosts=hosts
    )


def test_junit_is_valid_xml_with_one_testcase_per_host_and_control(report: AuditReport):
    root = ET.fromstring(render(report, ReportFormat.junit).encode())
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["ctl-01", "hv-01", "st-01"]
    for host in report.hosts[:2]:
        suite = suites[host.host]
        cases = suite.findall("testcase")
        assert [c.get("name", "").split(" ", 1)[0] for c in cases] == [r.control for r in host.results]
        assert {c.get("classname") for c in cases} == {host.host}
        counts = host.counts()
        assert len(suite.findall("testcase/failure")) == counts["fail"] == int(suite.get("failures", "-1"))
        skipped = counts["waived"] + counts["not-applicable"] + counts["manual"]
        assert len(suite.findall("testcase/skipped")) == skipped == int(suite.get("skipped", "-1"))
        assert int(suite.get("tests", "-1")) == len(host.results)
    names = {c.get("name") for c in suites["hv-01"].findall("testcase")}
    assert "SSH-R5.root_login PermitRootLogin no" in names
    failure = suites["hv-01"].find("testcase[@name='R50.shadow /etc/shadow and /etc/gshadow']/failure")
    assert failure is not None and "mode 0644" in failure.get("message", "")
    assert json.loads(failure.text or "")["files"][0]["mode"] == "0644"
    waived = suites["hv-01"].find("testcase[@name='R12.ip_forward No IP forwarding']/skipped")
    assert waived is not None and waived.get("message", "").startswith("waived: OVS forwards <tenant> traffic & more")
    na = suites["hv-01"].find("testcase[@name='R8.pti Page table isolation']/skipped")
    assert na is not None and "no boot loader" in na.get("message", "")
    error = suites["st-01"].find("testcase/error")
    assert error is not None and error.get("type") == "unreachable"
    totals = report.counts()
    assert int(root.get("tests", "-1")) == sum(totals.values()) + 1
    assert int(root.get("failures", "-1")) == totals["fail"]
    assert int(root.get("errors", "-1")) == 1


def test_junit_reports_errors_of_the_run_itself():
    report = AuditReport(stack="lab", catalogue_version=1, generated="now", seconds=0.1, errors=["no host to audit"])
    root = ET.fromstring(render(report, ReportFormat.junit).encode())
    assert root.get("errors") == "1" and root.find("testsuite/testcase/error") is not None


class _Refs(HTMLParser):
    """Every attribute that could load something, and every tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action", "poster", "background"):
                self.refs.append((tag, name, value or ""))


def test_html_is_self_contained_and_escapes_what_hosts_say(report: AuditReport):
    page = render(report, ReportFormat.html)
    parser = _Refs()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert all(name == "href" and value.startswith("#") for _, name, value in parser.refs), parser.refs
    assert not re.search(r"url\(|@import", page)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "OVS forwards &lt;tenant&gt; traffic &amp; more" in page
    anchors = set(re.findall(r'id="([^"]+)"', page))
    assert {"summary", "by-host", "by-recommendation", "host-ctl-01", "host-hv-01", "host-st-01"} <= anchors
    assert all(f"#{ref[2][1:]}" == ref[2] and ref[2][1:] in anchors for ref in parser.refs)


def test_html_groups_by_host_and_by_recommendation_with_the_score(report: AuditReport):
    page = render(report, ReportFormat.html)
    by_host, by_rec = page.split('<h2 id="by-host">')[1].split('<h2 id="by-recommendation">')
    for host in report.hosts:
        assert f'<section id="host-{host.host}">' in by_host
    for control in ("R12.ip_forward", "SSH-R5.root_login", "R30"):
        assert f"<code>{control}</code>" in by_rec
    hv = report.hosts[1]
    assert hv.score is not None and f'score <span class="score">{hv.score:.0%}</span>' in by_host
    assert "unreachable" in page and "not compliant" not in page  # an error outranks the failures
    assert "incomplete (errors)" in page


def test_json_round_trips(report: AuditReport):
    data = json.loads(render(report, ReportFormat.json))
    assert AuditReport.model_validate(data) == report
    assert data["hosts"][1]["results"][0]["status"] == "not-applicable"


def test_text_names_the_failures_and_the_verdict(report: AuditReport):
    text = render(report, ReportFormat.text, verbose=True)
    assert "SSH-R5.root_login" in text and "R50.shadow" in text
    assert "st-01: unreachable: ssh: connect" in text
    assert "incomplete (errors)" in text
    assert "OVS forwards <tenant> traffic & more" in text
