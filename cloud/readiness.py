"""What ``/readyz`` asks of a running cloud besides a database that answers: the schema was
migrated by this process's startup and every worker task is still running.

A load balancer should route to an instance only when it is ready; ``/healthz`` (database
answers) is for a service manager deciding whether to restart it.
"""

from __future__ import annotations

import asyncio


class WorkerBoard:
    """The app's worker tasks, registered by the lifespan; :meth:`stopped` names the dead."""

    def __init__(self) -> None:
        self.migrated = False
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def track(self, task: asyncio.Task[None]) -> None:
        self._tasks[task.get_name()] = task

    def stopped(self) -> list[str]:
        """Names of workers that ended (or never started); empty when all run."""
        if not self._tasks:
            return ["workers (not started)"]
        return sorted(name for name, task in self._tasks.items() if _failed(task))

    def names(self) -> list[str]:
        return sorted(self._tasks)


def _failed(task: asyncio.Task[None]) -> bool:
    """Ended by an error or a cancel; a worker with nothing to do may return (broker access
    when the broker checks nobody)."""
    return task.done() and (task.cancelled() or task.exception() is not None)
