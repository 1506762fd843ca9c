"""Cross-object validation of a region: everything a single file cannot tell.

Each module checks one concern and reports into the shared `ProblemSink`;
`run_all` resolves references first, since every other check walks them.
"""

from __future__ import annotations

import datetime as dt

from sovcloud_infra.model.checks import (
    control_plane,
    identity,
    networks,
    racks,
    references,
    roles,
    sovereignty,
    waivers,
)
from sovcloud_infra.model.problems import ProblemSink
from sovcloud_infra.model.region import Region


def run_all(region: Region, sink: ProblemSink, today: dt.date) -> None:
    """Run every cross-object check (references are resolved by the first one)."""
    references.resolve(region, sink)
    identity.check(region, sink)
    networks.check(region, sink)
    racks.check(region, sink)
    roles.check(region, sink)
    sovereignty.check(region, sink)
    waivers.check(region, sink, today)


def run_after_allocation(region: Region, sink: ProblemSink) -> None:
    """Checks that compare with the hosts' addresses, explicit or allocated."""
    control_plane.check(region, sink)
