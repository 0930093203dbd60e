"""Errors of the agent. One root (:class:`AgentError`) so callers can catch the package.

Outside errors (pydantic, OSError, python-escpos, paho) are converted at the boundary with
``raise X(...) from err``; the CLI maps these to exit codes and one clear sentence.
"""

from __future__ import annotations

from protocols.jobs import FailureReason


class AgentError(Exception):
    """Root of every error the agent raises on purpose."""


class ConfigError(AgentError):
    """The agent configuration cannot be used; the message names the key path and why."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class PrinterError(AgentError):
    """A print job could not be completed.

    ``side_effect_possible`` tells the job runner whether anything may have been printed:
    False → the job *failed* (safe to retry); True → the job is *uncertain* (an operator
    decides; the system never reprints by itself).
    """

    def __init__(self, reason: FailureReason, message: str, *, side_effect_possible: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.side_effect_possible = side_effect_possible
