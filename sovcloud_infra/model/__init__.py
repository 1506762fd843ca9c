"""The region model: one validated description of a sovereign region.

`load_region` is the only entry point the rest of the toolkit needs; it either
returns a fully resolved `Region` or raises `RegionInvalid` carrying every
problem found, each with its file, line and a fix.
"""

from sovcloud_infra.model.loader import load_region
from sovcloud_infra.model.problems import Problem, RegionInvalid
from sovcloud_infra.model.region import Region

__all__ = ["Problem", "Region", "RegionInvalid", "load_region"]
