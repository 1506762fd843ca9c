"""What every component of the region shares: its type namespace and how children are attached."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import pulumi

R = TypeVar("R", bound=pulumi.Resource)

TYPE_PREFIX = "sovcloud:cloud"


class Component(pulumi.ComponentResource):
    """A ComponentResource whose children are all parented to it.

    Parenting puts the component's type in each child's URN, so the tree in
    ``pulumi preview`` and ``sovcloud plan`` follows the region's concepts.
    Resource names are always passed in, derived from model names, never from
    Python variables: renaming code must never rename (replace) a resource.
    """

    TYPE: ClassVar[str] = f"{TYPE_PREFIX}:Component"

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.children: list[pulumi.Resource] = []

    def child_opts(
        self, *, protect: bool = False, depends_on: Sequence[pulumi.Resource] | None = None
    ) -> pulumi.ResourceOptions:
        """Options of a child: parented here; `protect` for resources holding state or references."""
        return pulumi.ResourceOptions(parent=self, protect=protect, depends_on=list(depends_on or []))

    def own(self, resource: R) -> R:
        """Record a child (tests and `settled` wait on it) and return it."""
        self.children.append(resource)
        return resource

    def done(self, outputs: dict[str, Any] | None = None) -> None:
        self.register_outputs(outputs or {})

    def settled(self) -> pulumi.Output[list[str]]:
        """Resolves once every child is registered (used by tests under the mock runtime)."""
        urns: list[Any] = [child.urn for child in self.children]
        for child in self.children:
            if isinstance(child, Component):
                urns.append(child.settled())
        return pulumi.Output.all(*urns)
