"""JUnit XML building blocks shared by the audit and drift reports (GitLab, GitHub and Jenkins read them)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

COUNTERS = ("tests", "failures", "errors", "skipped")

# Characters XML 1.0 cannot carry, even escaped (a script's output may contain them).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def set_counts(suite: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    for key, value in zip(COUNTERS, (tests, failures, errors, skipped), strict=True):
        suite.set(key, str(value))


def error_suite(root: ET.Element, name: str, message: str, case: str = "run") -> ET.Element:
    """A suite of one test case in error: a problem of the run itself (no host, a failed command)."""
    suite = ET.SubElement(root, "testsuite", name=name)
    set_counts(suite, 1, 0, 1, 0)
    testcase = ET.SubElement(suite, "testcase", classname=name, name=case, time="0")
    ET.SubElement(testcase, "error", message=clean(message.splitlines()[0] if message else "error")).text = clean(
        message
    )
    return suite


def document(root: ET.Element, suites: Iterable[ET.Element] | None = None, seconds: float = 0.0) -> str:
    """The XML text of `root`, its counters the sum of its suites'."""
    totals = dict.fromkeys(COUNTERS, 0)
    for suite in suites if suites is not None else root.findall("testsuite"):
        for key in COUNTERS:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
