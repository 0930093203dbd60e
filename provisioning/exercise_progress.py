"""What the technician watches while a test runs: a spinner with the elapsed time for anything
that may take more than a second (a status query, a print job, a scan), and a countdown bar
while a test waits for a person (press the button, place the card).

Drawn with rich on stderr, and only on a terminal: with ``--json``, in a pipe or under a test
runner nothing is drawn, so stdout stays the result alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

#: how often the countdown is redrawn (a display refresh, not a synchronisation point)
TICK_S = 0.2


class Feedback:
    """Spinner and countdown; ``enabled=False`` (``--json``, not a terminal) draws nothing."""

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal

    @contextlib.contextmanager
    def spinner(self, what: str) -> Iterator[None]:
        """``what`` with a spinner and the seconds elapsed, until the block ends."""
        if not self.enabled:
            yield
            return
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=True) as progress:
            progress.add_task(what, total=None)
            yield

    @contextlib.asynccontextmanager
    async def countdown(self, what: str, seconds: float) -> AsyncIterator[None]:
        """``what`` with a bar running down over ``seconds`` and the seconds left."""
        if not self.enabled:
            yield
            return
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[left]:>4.0f} s left"),
        )
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(what, total=seconds, left=seconds)
            ticker = asyncio.create_task(_tick(progress, task, seconds))
            try:
                yield
            finally:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)


async def _tick(progress: Progress, task: object, seconds: float) -> None:
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        progress.update(task, completed=min(elapsed, seconds), left=max(0.0, seconds - elapsed))  # type: ignore[arg-type]
        await asyncio.sleep(TICK_S)  # redraw rate of the bar
