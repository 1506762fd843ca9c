"""CrossGuard entry point: the sovereignty rules of sovcloud_infra.policy as a policy pack.

Only this file builds the ``PolicyPack`` (its constructor serves the analyzer
over gRPC and never returns); the rules themselves are pure functions tested
in tests/cloud. The repository root is put first on the path so the pack runs
the rules of the checkout it sits in.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent if "__file__" in globals() else Path.cwd().parent
sys.path.insert(0, str(REPO))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from sovcloud_infra.policy.crossguard import policies  # noqa: E402

PolicyPack(
    name="sovcloud-sovereignty",
    policies=policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
)
