"""``kfleet provision``: setting up a device in a hall (each part owns its module; this one only
mounts them)."""

from __future__ import annotations

import typer

from provisioning import probe_cli

app = typer.Typer(
    help="Provision devices: find their hardware, issue their credentials.",
    no_args_is_help=True,
)
app.command(
    "probe", help="Find the hardware on this machine and say which kfleet peripheral each is."
)(probe_cli.probe)
