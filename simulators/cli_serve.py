"""How every ``kfleet sim …`` command runs its simulator: until Ctrl-C, with one sentence for
a port that cannot be bound (exit 1) instead of a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import typer


def run_until_ctrl_c(main: Coroutine[Any, Any, None], name: str, host: str, port: int) -> None:
    """Run ``main`` (the simulator serving) until Ctrl-C; ``name`` as the operator reads it
    ("identity platform simulator")."""
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        typer.echo(f"{name} stopped")
    except OSError as err:
        typer.echo(f"cannot start the {name} on {host}:{port}: {err}", err=True)
        raise typer.Exit(1) from err
