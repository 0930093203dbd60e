"""``kfleet sim identity-platform``: run the identity platform simulator until Ctrl-C."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from simulators.cli_serve import run_until_ctrl_c
from simulators.identity_platform import IdentityPlatformSim

HELP = """Run the identity platform (统一身份认证平台: the phone on file for a citizen, where the
kiosk's one-time codes go; docs/kiosk-queries.md) until Ctrl-C.

Point the cloud at it with KFLEET_KIOSK_IDENTITY_URL=http://HOST:PORT and
KFLEET_KIOSK_IDENTITY_TOKEN. Seeded with the ID-card simulator's sample cards (王晓明
632801198805120137 → 13800135678, 马秀兰 632801196511030241, 才让多杰 63280120040229057X) and
李建国 632801197001010018, who has no phone on file.
"""


def identity_platform(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8471,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    token: Annotated[str, typer.Option(help="The Bearer token the cloud sends.")] = (
        "sim-identity-token"
    ),
    stall_s: Annotated[
        float, typer.Option(min=0.0, help="Hold every answer this long (a client timeout).")
    ] = 0.0,
    maintenance_min: Annotated[
        float, typer.Option(min=0.0, help="Answer 503 maintenance for this many minutes.")
    ] = 0.0,
    malformed: Annotated[bool, typer.Option(help="Answer with an HTML error page.")] = False,
) -> None:
    until = datetime.now(UTC) + timedelta(minutes=maintenance_min) if maintenance_min else None
    sim = IdentityPlatformSim(
        token=token,
        host=host,
        port=port,
        stall_s=stall_s,
        malformed=malformed,
        maintenance_until=until,
    )
    run_until_ctrl_c(_serve(sim), "identity platform simulator", host, port)


async def _serve(sim: IdentityPlatformSim) -> None:
    async with sim:
        typer.echo(f"identity platform listening on {sim.url} ({len(sim.people)} people on file)")
        await asyncio.Event().wait()  # until Ctrl-C cancels us


def register(app: typer.Typer) -> None:
    """Add the ``identity-platform`` command to a Typer app (``kfleet sim``)."""
    app.command("identity-platform", help=HELP)(identity_platform)
