"""The SDK mock runtime, recording every registration: the engine side of tests and the offline plan.

``pulumi.runtime.Mocks`` alone sees a resource's type, name and inputs. The
plan also needs the parent (for the tree), the ``protect`` flag and the
property dependencies (which resource a property's value comes from), which
only the RegisterResource request carries, so the monitor is subclassed.
Mock IDs are ``<Type>/<name>``: deterministic, so two renderings compare.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One registered resource, as the engine would see it (camelCase inputs, numbers as floats)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    id: str
    inputs: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)


def mock_id(type_: str, name: str) -> str:
    return f"{type_.rsplit(':', 1)[-1]}/{name}"


class RegionMocks(pulumi.runtime.Mocks):
    """Every custom resource echoes its inputs as its state; Keystone roles resolve by name."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return None, {}
        return mock_id(args.typ, args.name), dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "openstack:identity/getRole:getRole":
            name = str(args.args.get("name", ""))
            return {"id": f"role/{name}", "name": name, "domainId": "", "region": ""}, []
        return {}, []


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps each registration with its parent, protect flag and dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            return response
        state = self.resources[response.urn].state
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            protect=bool(request.protect),
            id=response.id or "",
            inputs=dict(state) if request.custom else {},
            deps={key: sorted(value.urns) for key, value in request.propertyDependencies.items() if value.urns},
        )
        with self._lock:
            self.registrations.append(registration)
        return response

    def clear(self) -> None:
        with self._lock:
            self.registrations.clear()

    def find(self, type_: str | None = None, name: str | None = None) -> list[Registration]:
        """Registrations of a type token and/or logical name."""
        with self._lock:
            return [
                r for r in self.registrations if (type_ is None or r.type == type_) and (name is None or r.name == name)
            ]

    def one(self, type_: str, name: str) -> Registration:
        found = self.find(type_, name)
        if len(found) != 1:
            raise LookupError(f"expected one {type_} named {name!r}, found {len(found)}")
        return found[0]


def install(project: str, stack: str) -> RecordingMonitor:
    """Switch the SDK to the mock runtime; call before the program (or any component module) runs."""
    mocks = RegionMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    return monitor
