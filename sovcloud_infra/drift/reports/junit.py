"""JUnit XML of a drift check: one test suite per host (one test case per control) and one for the cloud.

A drifted control or resource is a <failure> (message: the tasks or properties
in one line, body: the diffs, secrets redacted); a host that could not be
checked is one test case with an <error>, beside whatever it did show; a
control the audit waives or cannot judge, and a skipped cloud half, are
<skipped>.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from sovcloud_infra.drift.results import CloudDrift, DriftReport, DriftStatus, HostDrift
from sovcloud_infra.junit import clean, document, error_suite, set_counts


def _host_suite(host: HostDrift) -> ET.Element:
    suite = ET.Element("testsuite", name=host.host)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("rack", host.rack or ""), ("datacenter", host.datacenter or "")):
        ET.SubElement(properties, "property", name=name, value=clean(value))
    tests = failures = errors = skipped = 0
    if host.error:
        tests, errors = 1, 1
        case = ET.SubElement(suite, "testcase", classname=host.host, name="drift: check run", time="0")
        kind = "unreachable" if host.unreachable else "error"
        ET.SubElement(case, "error", message=clean(host.error.splitlines()[0]), type=kind).text = clean(host.error)
    changes = {c.task: c for c in host.changes}
    for control in host.controls:
        tests += 1
        name = control.control + (f" {control.title}" if control.title else "")
        case = ET.SubElement(suite, "testcase", classname=host.host, name=clean(name), time="0")
        if control.status == DriftStatus.drifted:
            failures += 1
            parts = [f"would change: {', '.join(control.tasks)}"] if control.tasks else []
            if control.audit == "fail":
                parts.append(f"audit: fail ({control.audit_summary or ''})")
            failure = ET.SubElement(case, "failure", message=clean("; ".join(parts)), type="drift")
            body = []
            for task in control.tasks:
                change = changes.get(task)
                detail = "(no_log: result hidden)" if change and change.censored else (change and change.diff) or ""
                body.append(f"== {task}\n{detail}".rstrip())
            failure.text = clean("\n".join(body) or (control.audit_summary or ""))
        elif control.status == DriftStatus.skipped:
            skipped += 1
            ET.SubElement(case, "skipped", message=clean(f"{control.audit}: {control.audit_summary or ''}"))
    set_counts(suite, tests, failures, errors, skipped)
    return suite


def _cloud_suite(root: ET.Element, cloud: CloudDrift) -> None:
    name = f"cloud {cloud.stack}"
    if cloud.error:
        error_suite(root, name, cloud.error, case="pulumi preview --refresh")
        return
    suite = ET.SubElement(root, "testsuite", name=name)
    if cloud.skipped:
        case = ET.SubElement(suite, "testcase", classname=name, name="pulumi preview --refresh", time="0")
        ET.SubElement(case, "skipped", message=clean(cloud.skipped))
        set_counts(suite, 1, 0, 0, 1)
        return
    if not cloud.resources:
        # No drifted resource: one passing case, so CI shows the cloud was checked.
        ET.SubElement(suite, "testcase", classname=name, name="pulumi preview --refresh", time="0")
        set_counts(suite, 1, 0, 0, 0)
        return
    for resource in cloud.resources:
        case = ET.SubElement(suite, "testcase", classname=clean(resource.type), name=clean(resource.urn), time="0")
        props = ", ".join(p.path for p in resource.properties) or "-"
        failure = ET.SubElement(case, "failure", message=clean(f"{resource.op}: {props}"), type="drift")
        failure.text = clean(
            json.dumps([p.model_dump(mode="json") for p in resource.properties], indent=2, default=str)
        )
    set_counts(suite, len(cloud.resources), len(cloud.resources), 0, 0)


def render_junit(report: DriftReport) -> str:
    root = ET.Element("testsuites", name=f"sovcloud drift {report.stack}")
    if report.hosts is not None:
        if report.hosts.skipped:
            suite = ET.SubElement(root, "testsuite", name="hosts")
            case = ET.SubElement(suite, "testcase", classname="hosts", name=report.hosts.playbook, time="0")
            ET.SubElement(case, "skipped", message=clean(report.hosts.skipped))
            set_counts(suite, 1, 0, 0, 1)
        for host in report.hosts.hosts:
            root.append(_host_suite(host))
        for message in report.hosts.errors:
            error_suite(root, "hosts", message, case="check run")
    if report.cloud is not None:
        _cloud_suite(root, report.cloud)
    return document(root, seconds=report.seconds)
