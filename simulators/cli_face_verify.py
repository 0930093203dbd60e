"""``kfleet sim face-verify``: run the simulated face-verification service until Ctrl-C."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import typer

from simulators.cli_serve import run_until_ctrl_c
from simulators.face_verify import DEMO_APP_ID, DEMO_SECRET, FaceVerifySim

HELP = """Run the simulated face-verification service (人脸核验 for the 高龄补贴 certification,
docs/kiosk-elderly.md) until Ctrl-C. It answers --verdict for every clip that decodes.

Point the cloud at it with KFLEET_FACE_VERIFY_URL=http://HOST:PORT,
KFLEET_FACE_VERIFY_APP_ID and KFLEET_FACE_VERIFY_SECRET (the --app-id and --secret here).

Faults: --stall-s holds every answer (a timeout), --maintenance answers 503, --malformed answers
an HTML gateway page.
"""


def face_verify(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 0,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id we accept.")] = DEMO_APP_ID,
    secret: Annotated[
        str, typer.Option(help="The HMAC key requests are signed with.")
    ] = DEMO_SECRET,
    verdict: Annotated[
        str, typer.Option(help="What every decodable clip gets: pass, mismatch or not_live.")
    ] = "pass",
    stall_s: Annotated[float, typer.Option(min=0.0, help="Hold every answer this long.")] = 0.0,
    maintenance: Annotated[bool, typer.Option(help="Answer 503 (maintenance).")] = False,
    malformed: Annotated[bool, typer.Option(help="Answer an HTML page instead of JSON.")] = False,
) -> None:
    if verdict not in ("pass", "mismatch", "not_live"):
        typer.echo(f"no verdict {verdict!r}; choose pass, mismatch or not_live", err=True)
        raise typer.Exit(2)
    chosen: Literal["pass", "mismatch", "not_live"] = verdict  # type: ignore[assignment]
    sim = FaceVerifySim(
        app_id=app_id,
        secret=secret,
        host=host,
        port=port,
        default_verdict=chosen,
        stall_s=stall_s,
        maintenance=maintenance,
        malformed=malformed,
    )
    run_until_ctrl_c(_serve(sim), "face-verification simulator", host, port)


async def _serve(sim: FaceVerifySim) -> None:
    await sim.start()
    typer.echo(f"face verification listening on {sim.url} (app id {sim.app_id})")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``face-verify`` command to a Typer app (``kfleet sim``)."""
    app.command("face-verify", help=HELP)(face_verify)
