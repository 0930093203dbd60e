"""``kfleet provision``: the technician's and operator's provisioning tools.

Kept tiny on purpose: each tool's module owns its sub-app and is mounted here in one line.
"""

from __future__ import annotations

import typer

from provisioning import enroll_cli, probe_cli
from provisioning.ca_cli import app as ca_app
from provisioning.exercise_cli import app as exercise_app

app = typer.Typer(
    help="Provision devices: find their hardware, issue their credentials (the private CA).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(
    ca_app, name="ca", help="The private CA: create it, issue broker/device certificates."
)
app.command(
    "probe", help="Find the hardware on this machine and say which kfleet peripheral each is."
)(probe_cli.probe)
app.command("enroll", help="Enroll this device with a one-time token; write the agent's config.")(
    enroll_cli.enroll_cmd
)
app.command("status", help="What the cloud knows of this enrolled device.")(enroll_cli.status_cmd)
app.command("rotate", help="New device credentials, with no gap for the running agent.")(
    enroll_cli.rotate_cmd
)
app.command("bulk", help="A CSV of planned devices → enrollment tokens → an A4 sheet of QR codes.")(
    enroll_cli.bulk_cmd
)
app.add_typer(
    exercise_app,
    name="test",
    help="Exercise one peripheral (print, scan, button, rating, idcard, camera) and show it.",
)
