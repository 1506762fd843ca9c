"""`python -m sovcloud_infra` runs the CLI."""

from sovcloud_infra.cli import main

main()
