"""The Pulumi program: the OpenStack side of the region named by the stack's configuration.

``sovcloud:region`` names the region directory under ``stacks/`` (defaults to
the stack name); ``sovcloud:stacksDir`` overrides where regions live (the
offline bench uses it for generated regions). Everything else is in
`sovcloud_infra.cloud`.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from sovcloud_infra.cloud.region import RegionCloud
from sovcloud_infra.model import RegionInvalid, load_region

config = pulumi.Config()
region_name = config.get("region") or pulumi.get_stack()
stacks_dir = Path(config.get("stacksDir") or Path(__file__).resolve().parent / "stacks")

try:
    region = load_region(stacks_dir / region_name)
except RegionInvalid as exc:
    details = "\n".join(problem.render() for problem in exc.problems)
    raise pulumi.RunError(f"region '{region_name}' is invalid ({len(exc.problems)} problem(s)):\n{details}") from None

RegionCloud(region)

pulumi.export("region", region.info.name)
pulumi.export("availability_zones", [dc.zone for dc in region.datacenters])
pulumi.export("allowed_jurisdictions", list(region.info.allowed_jurisdictions))
