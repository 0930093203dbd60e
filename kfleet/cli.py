"""``kfleet``: cloud, agent, sim, provision and demo sub-commands.

Each part owns its sub-app; this module only composes them. Each part maps its own root error
to exit codes (``cloud.errors``, ``edge_agent.errors``, ``kfleet.errors``).
"""

from __future__ import annotations

import typer

from cloud.cli import app as cloud_app
from cloud.cli_admin import admin_app
from edge_agent.cli import app as agent_app
from kfleet.world.cli import demo, fleet
from kfleet.world.swarm_cli import swarm
from provisioning.cli import app as provision_app
from provisioning.release import app as release_app
from simulators.cli import app as sim_app

app = typer.Typer(
    help="kfleet — fleet management for government-service halls (kiosks, window PCs, screens).",
    no_args_is_help=True,
    add_completion=False,
)
sim_app.command("fleet")(fleet)
sim_app.command("swarm")(swarm)
cloud_app.add_typer(admin_app, name="admin")
app.add_typer(cloud_app, name="cloud", help="Run the central fleet service (API, console, bus).")
app.add_typer(agent_app, name="agent", help="Run the device agent on a kiosk/window PC/screen.")
app.add_typer(sim_app, name="sim", help="Hardware simulators speaking the real wire protocols.")
app.add_typer(
    provision_app,
    name="provision",
    help="Provisioning: find a device's hardware, the private CA, device credentials.",
)
app.add_typer(release_app, name="release", help="Agent releases for staged upgrades (issue 17).")
app.command("demo", help="Run the whole system on one machine: broker, cloud, 3 pilot sites.")(demo)


def main() -> None:
    app()
