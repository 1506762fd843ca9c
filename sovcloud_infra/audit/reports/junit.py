"""JUnit XML for GitLab and Jenkins: one test suite per host, one test case per host and control.

`fail` is a <failure> (message: the evidence in one line, body: the evidence as
JSON); `waived`, `not-applicable` and `manual` are <skipped message=reason>, so
CI shows them without failing on them; a host that could not be audited is one
test case with an <error>.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from sovcloud_infra.audit.results import AuditReport, HostAudit, ResultStatus
from sovcloud_infra.junit import clean as _clean
from sovcloud_infra.junit import document, error_suite


def _suite(host: HostAudit) -> ET.Element:
    suite = ET.Element("testsuite", name=host.host)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("level", host.level or ""),
        ("host_groups", ",".join(host.host_groups)),
        ("container", host.container or ""),
        ("score", "" if host.score is None else f"{host.score:.4f}"),
    ):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    tests = failures = skipped = errors = 0
    if host.error:
        case = ET.SubElement(suite, "testcase", classname=host.host, name="audit: evidence collection", time="0")
        error = ET.SubElement(
            case, "error", message=_clean(host.error), type="unreachable" if host.unreachable else "error"
        )
        error.text = _clean(host.error)
        tests, errors = 1, 1
    for result in host.results:
        tests += 1
        case = ET.SubElement(
            suite, "testcase", classname=host.host, name=_clean(f"{result.control} {result.title}"), time="0"
        )
        if result.status == ResultStatus.failed:
            failures += 1
            failure = ET.SubElement(case, "failure", message=_clean(result.summary or result.reason or ""), type="fail")
            failure.text = _clean(json.dumps(result.evidence, indent=2, sort_keys=True, default=str))
        elif result.status != ResultStatus.passed:
            skipped += 1
            ET.SubElement(case, "skipped", message=_clean(f"{result.status.value}: {result.reason or ''}"))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{host.collect_seconds or 0:.3f}")
    return suite


def render_junit(report: AuditReport) -> str:
    root = ET.Element("testsuites", name=f"sovcloud audit {report.stack}")
    for host in report.hosts:
        root.append(_suite(host))
    for message in report.errors:
        error_suite(root, "audit", message, case="audit run")
    return document(root, seconds=report.seconds)
