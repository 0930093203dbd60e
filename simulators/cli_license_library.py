"""``kfleet sim license-library``: run the simulated 电子证照库 until Ctrl-C."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from simulators.cli_serve import run_until_ctrl_c
from simulators.dept_common import Faults
from simulators.license_library import LicenseLibrarySim

HELP = """Run the simulated upper-level 电子证照库 (docs/kiosk-certificates.md) until Ctrl-C.

Point the cloud at it with KFLEET_LICENSE_LIBRARY='{"url": "http://HOST:PORT", "app_id": "...",
"secret": "..."}'.

Faults: --stall-s holds every answer, --maintenance-min announces a maintenance window,
--malformed answers an HTML error page; a cloud with another secret is refused (bad signature).
"""


def license_library(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 0,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id we accept.")] = "sim-app",
    secret: Annotated[str, typer.Option(help="The app's HMAC key.")] = "sim-secret",
    stall_s: Annotated[float, typer.Option(min=0.0, help="Hold every answer, seconds.")] = 0.0,
    maintenance_min: Annotated[
        int, typer.Option(min=0, help="Maintenance window from now, minutes.")
    ] = 0,
    malformed: Annotated[bool, typer.Option(help="Answer an HTML page instead of JSON.")] = False,
) -> None:
    until = datetime.now(UTC) + timedelta(minutes=maintenance_min) if maintenance_min else None
    faults = Faults(stall_s=stall_s, maintenance_until=until, malformed=malformed)
    sim = LicenseLibrarySim(app_id=app_id, secret=secret, host=host, port=port, faults=faults)
    run_until_ctrl_c(_serve(sim), "licence library simulator", host, port)


async def _serve(sim: LicenseLibrarySim) -> None:
    await sim.start()
    typer.echo(f"licence library listening on {sim.url}")
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``license-library`` command to a Typer app (``kfleet sim``)."""
    app.command("license-library", help=HELP)(license_library)
