"""The Ansible inventory, derived from the region model (no generated file to drift).

`build_inventory` is plain Python returning plain data, so it is tested without
Ansible; the inventory plugin in ``plugins/inventory/sovcloud.py`` only copies
that data into Ansible's inventory.
"""

from sovcloud_infra.inventory.build import Inventory, build_inventory, group_name

__all__ = ["Inventory", "build_inventory", "group_name"]
