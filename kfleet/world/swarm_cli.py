"""``kfleet sim swarm``: thousands of light devices in one process (the scale load generator)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from typing import Annotated

import typer

from kfleet.world.swarm import Swarm, serve, specs_for

PILOT_LEAVES = ("qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi")


def swarm(
    broker: Annotated[str, typer.Option(help="MQTT broker URL (mqtt://host:port).")],
    agents: Annotated[int, typer.Option(min=1, max=60000, help="How many devices.")] = 1000,
    prefix: Annotated[str, typer.Option(help="Device ids are <prefix>-<nnnnn>.")] = "swarm",
    site: Annotated[
        list[str] | None,
        typer.Option(help="Site paths the devices stand at, round-robin (repeatable)."),
    ] = None,
    tele_interval_s: Annotated[
        float, typer.Option(min=1, max=3600, help="Each device's telemetry period.")
    ] = 30.0,
) -> None:
    """Run many light devices speaking the agent's wire protocol, one socket each.

    Prints ``ready <n> <seconds> <bd_seq>`` once every device has its CONNACK, then obeys stdin:
    ``drop`` (all connections break, all reconnect; prints ``reconnected <n> <seconds>
    <bd_seq>``), ``stats`` (a JSON line), ``stop``. Needs a file descriptor per device: the
    soft ``ulimit -n`` is raised to the hard one.
    """
    logging.basicConfig(level=logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if agents + 64 > hard:
        raise typer.BadParameter(
            f"{agents} devices need {agents + 64} file descriptors; the hard limit is {hard} "
            "(raise it: ulimit -Hn, or LimitNOFILE= in a systemd unit)"
        )
    specs = specs_for(agents, prefix, site or list(PILOT_LEAVES), tele_interval_s)

    async def main() -> None:
        await serve(Swarm(broker, specs, first_bd_seq=int(time.time())))

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":  # ``python -m kfleet.world.swarm_cli``: without the whole CLI's imports
    typer.run(swarm)
