"""Ansible inventory plugin: the hosts, groups and variables of a sovcloud region.

The inventory is computed from the region model at every run, so there is no
generated file that could drift from ``stacks/``.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: sovcloud
short_description: Inventory of a sovcloud-infra region, from its model under stacks/
description:
  - Loads and validates the region described under C(stacks/<stack>/) and exposes its hosts,
    groups (per role, datacenter, availability zone and rack) and host variables.
  - An invalid region fails the inventory with every problem listed (file, line, fix).
options:
  plugin:
    description: Marks this file as a sovcloud inventory source.
    required: true
    choices: ["sovcloud"]
  stack:
    description: Stack name under the stacks directory, or a path to a stack directory.
    required: true
    type: str
  stacks_dir:
    description: Directory holding the stacks; relative paths are relative to this file. Default is the repository's.
    type: str
  lab:
    description: Connect through the lab started by C(sovcloud lab up) (its operator key, SSH config and known hosts).
    type: bool
    default: false
"""

EXAMPLES = r"""
# inventories/lab/sovcloud.yml
plugin: sovcloud
stack: lab
lab: true
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):  # type: ignore[misc]
    NAME = "sovcloud"

    def verify_file(self, path: str) -> bool:
        return bool(super().verify_file(path)) and Path(path).name in ("sovcloud.yml", "sovcloud.yaml")

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from sovcloud_infra.inventory import build_inventory
            from sovcloud_infra.model import RegionInvalid, load_region
            from sovcloud_infra.stacks import stack_path
        except ImportError as exc:
            raise AnsibleParserError(
                f"the sovcloud inventory needs the sovcloud_infra package in Ansible's Python ({exc}); "
                "run Ansible from the project's virtualenv (.venv/bin/ansible-playbook)"
            ) from exc

        stacks_dir = self.get_option("stacks_dir")
        base = Path(path).resolve().parent
        explicit = (base / stacks_dir).resolve() if stacks_dir else None
        stack = str(self.get_option("stack"))
        try:
            region = load_region(stack_path(stack, explicit))
        except RegionInvalid as exc:
            details = "\n".join(p.render() for p in exc.problems)
            raise AnsibleParserError(f"stack '{stack}' is invalid:\n{details}") from None

        connection = None
        if self.get_option("lab"):
            from sovcloud_infra.lab.from_model import ansible_connection_vars

            connection = ansible_connection_vars(region)
        data = build_inventory(region, connection)
        for group, spec in data.groups.items():
            self.inventory.add_group(group)
            for key, value in spec["vars"].items():
                self.inventory.set_variable(group, key, value)
        for group, spec in data.groups.items():
            for child in spec["children"]:
                self.inventory.add_child(group, child)
            for host in spec["hosts"]:
                self.inventory.add_host(host, group=group)
        for host, variables in data.hostvars.items():
            for key, value in variables.items():
                if value is not None:
                    self.inventory.set_variable(host, key, value)
