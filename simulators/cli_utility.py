"""``kfleet sim utilities``: run the four utilities' bill APIs (水电气固话) until Ctrl-C."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from simulators.cli_serve import run_until_ctrl_c
from simulators.dept_common import Faults
from simulators.utility_bills import UtilityBillsSim

HELP = """Run the water, electricity, gas and landline companies' bill APIs for the kiosk's
生活缴费 (docs/kiosk-payments.md) until Ctrl-C; prints the seeded accounts.

Point the cloud at it with KFLEET_PAY_UTILITIES_URL=http://HOST:PORT,
KFLEET_PAY_UTILITIES_APP_ID and KFLEET_PAY_UTILITIES_SECRET.

Faults: --stall-s holds every answer, --maintenance-min announces a maintenance window,
--malformed answers an HTML error page.
"""


def utilities(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 0,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id we accept.")] = "sim-utilities",
    secret: Annotated[
        str, typer.Option(help="The HMAC key calls are signed with.")
    ] = "sim-utilities-secret",
    stall_s: Annotated[float, typer.Option(min=0.0, help="Hold every answer, seconds.")] = 0.0,
    maintenance_min: Annotated[
        int, typer.Option(min=0, help="Maintenance window from now, minutes.")
    ] = 0,
    malformed: Annotated[bool, typer.Option(help="Answer an HTML page instead of JSON.")] = False,
) -> None:
    until = datetime.now(UTC) + timedelta(minutes=maintenance_min) if maintenance_min else None
    faults = Faults(stall_s=stall_s, maintenance_until=until, malformed=malformed)
    sim = UtilityBillsSim(app_id=app_id, secret=secret, host=host, port=port, faults=faults)
    run_until_ctrl_c(_serve(sim), "utilities simulator", host, port)


async def _serve(sim: UtilityBillsSim) -> None:
    await sim.start()
    typer.echo(f"utilities' bill API listening on {sim.url}")
    for a in sim.accounts.values():
        typer.echo(f"  {a.utility:9} {a.number:12} {a.amount_fen / 100:8.2f} yuan ({a.period})")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``utilities`` command to a Typer app (``kfleet sim``)."""
    app.command("utilities", help=HELP)(utilities)
