"""``kfleet agent ...``: run the agent, check a config file, print an example one.

Exit codes: 0 ok, 2 the configuration is unusable (one sentence on stderr naming the key),
1 anything else the agent reports as an :class:`~edge_agent.errors.AgentError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, example_config, load_config
from edge_agent.errors import AgentError, ConfigError
from edge_agent.memory import limit_malloc_arenas

app = typer.Typer(
    help="The kfleet device agent: exposes this device's peripherals to the fleet over MQTT.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigPath = Annotated[Path, typer.Option("--config", "-c", help="The agent's TOML file.")]


def _load(path: Path) -> AgentConfig:
    try:
        return load_config(path)
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


@app.command("run")
def run(
    config: ConfigPath,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Run the agent until Ctrl-C / SIGTERM, then go offline in order."""
    cfg = _load(config)
    _check_data_dir(cfg, config)
    limit_malloc_arenas()  # before the agent starts its threads
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # python-escpos calls logging.basicConfig() when imported
    )
    try:
        asyncio.run(_serve(cfg, config))
    except AgentError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


def _check_data_dir(cfg: AgentConfig, config: Path) -> None:
    """A data_dir the agent cannot create fails now, in a sentence, not as a traceback."""
    try:
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        typer.echo(
            f"error: {config}: data_dir: cannot use {cfg.data_dir}: {err.strerror or err}; "
            "set it to a directory the agent can write",
            err=True,
        )
        raise typer.Exit(2) from err


async def _serve(cfg: AgentConfig, path: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_until_stopped(Agent(cfg, config_path=path), stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def run_until_stopped(agent: Agent, stop: asyncio.Event) -> None:
    """Run ``agent`` until ``stop`` is set, then stop it in order (used by the CLI)."""
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(agent.run())
        waiter = tg.create_task(stop.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await agent.stop()
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter


@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="The agent's TOML file.")]) -> None:
    """Validate a configuration file; exit 2 with the reason if it is unusable."""
    cfg = _load(path)
    kinds = ", ".join(f"{p.id} ({p.type})" for p in cfg.peripherals) or "none"
    typer.echo(
        f"{path}: ok — device {cfg.device_id} ({cfg.role.value}) at {cfg.site}, "
        f"broker {cfg.mqtt.endpoint.url}, peripherals: {kinds}"
    )


@app.command("example-config")
def print_example_config() -> None:
    """Print a commented example configuration (redirect it into agent.toml)."""
    typer.echo(example_config(), nl=False)
