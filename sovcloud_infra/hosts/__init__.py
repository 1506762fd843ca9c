"""Driving Ansible on the region's hosts from Python (through ansible-runner)."""
