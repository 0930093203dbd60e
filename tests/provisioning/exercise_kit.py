"""Running ``kfleet provision test ...`` beside a simulator: the command runs in a worker
thread (it has its own event loop, as on a device) while the test's loop keeps the
simulator's pty answering."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from kfleet.cli import app

runner = CliRunner()


def invoke(*args: str) -> Result:
    """``kfleet provision test <args>`` in this thread (no simulator needs the loop)."""
    return runner.invoke(app, ["provision", "test", *args])


async def invoke_beside(*args: str, bound_s: float = 60) -> Result:
    """``kfleet provision test <args>`` in a worker thread, while this loop runs on."""
    async with asyncio.timeout(bound_s):
        return await asyncio.to_thread(invoke, *args)


def as_json(result: Result) -> dict[str, Any]:
    """The ``--json`` body (stdout only); fails with the whole output if it is not JSON."""
    try:
        body: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(f"not JSON: {result.output!r}") from err
    return body
