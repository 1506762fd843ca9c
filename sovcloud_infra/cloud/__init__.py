"""The cloud side of a region: the Pulumi program's components and its offline plan.

Component modules (`zones`, `networks`, `flavors`, `storage`, `tenancy`,
`access`, `dns`, `region`) import ``pulumi``; `topology`, `flavor_names`,
`diff` and `rendering` do not, so the ``sovcloud plan`` parent process and the
fast unit tests stay free of the SDK. `render` is the subprocess that runs the
real program under the SDK's mock runtime.
"""
