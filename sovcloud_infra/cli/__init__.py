"""The `sovcloud` command line.

Every command turns expected failures into a message and an exit code; an
unexpected exception is reported in one line (set SOVCLOUD_DEBUG=1 for the
traceback), never as a raw traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from sovcloud_infra.cli import audit, drift, generate, lab, plan, region

app = typer.Typer(
    name="sovcloud",
    help="Deployment toolkit of a sovereign OpenStack region: model, cloud, hosts, audit and drift.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(region.validate)
app.command()(region.show)
app.command()(generate.generate)
app.command()(plan.plan)
app.add_typer(lab.lab_app, name="lab")
app.command()(audit.audit)
app.command()(drift.drift)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SOVCLOUD_DEBUG"):
            raise
        sys.stderr.write(
            f"sovcloud: internal error: {type(exc).__name__}: {exc} (SOVCLOUD_DEBUG=1 shows the traceback)\n"
        )
        sys.exit(1)
