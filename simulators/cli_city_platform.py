"""``kfleet sim city-platform``: run the city 政务服务平台 case API simulator until Ctrl-C."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from simulators.city_platform import CityPlatformSim
from simulators.cli_serve import run_until_ctrl_c

HELP = """Run the city 政务服务平台 case API (办件查询; docs/kiosk-cases.md) and its application
API (自助申报; docs/kiosk-apply.md) until Ctrl-C.

Point the cloud at it with KFLEET_CITY_PLATFORM_URL=http://HOST:PORT,
KFLEET_CITY_PLATFORM_APP_ID and KFLEET_CITY_PLATFORM_SECRET. Seeded cases belong to the
ID-card simulator's sample cards (王晓明 632801198805120137, 马秀兰 632801196511030241,
才让多杰 63280120040229057X).
"""


def city_platform(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8470,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id the cloud signs with.")] = "sim-city-app",
    secret: Annotated[str, typer.Option(help="The app's HMAC secret.")] = "sim-city-secret",
    stall_s: Annotated[
        float, typer.Option(min=0.0, help="Hold every answer this long (a client timeout).")
    ] = 0.0,
    maintenance_min: Annotated[
        float, typer.Option(min=0.0, help="Answer 503 maintenance for this many minutes.")
    ] = 0.0,
    malformed: Annotated[
        bool, typer.Option(help="Answer every success with a cut-off JSON body.")
    ] = False,
) -> None:
    until = datetime.now(UTC) + timedelta(minutes=maintenance_min) if maintenance_min else None
    sim = CityPlatformSim(
        apps={app_id: secret},
        host=host,
        port=port,
        stall_s=stall_s,
        maintenance_until=until,
        malformed=malformed,
    )
    run_until_ctrl_c(_serve(sim), "city platform simulator", host, port)


async def _serve(sim: CityPlatformSim) -> None:
    await sim.start()
    typer.echo(f"city 政务服务平台 listening on {sim.url} ({len(sim.cases)} seeded cases)")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``city-platform`` command to a Typer app (``kfleet sim``)."""
    app.command("city-platform", help=HELP)(city_platform)
