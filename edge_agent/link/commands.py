"""Inbound commands, decoded once: a valid ``cmd`` envelope, or a :class:`BadCommand`.

The bytes of a command are parsed exactly once, by ``protocols.envelope.decode``; when the
envelope is refused, the job it names (if any) is salvaged from that same parse (the error's
``parsed`` object) so the agent can reject it at once instead of leaving it to time out at the
cloud. The reasons are the protocol's: ``too_large``, ``not_json``, ``not_object``,
``bad_type``, ``type_mismatch``, ``bad_version``, ``invalid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edge_agent.jobs.salvage import SalvagedJob, salvage
from protocols.envelope import Envelope, MsgType, decode
from protocols.errors import PayloadError


@dataclass(frozen=True, slots=True)
class BadCommand:
    """A ``cmd`` message that could not be used: why, and the job it names if readable."""

    reason: str
    message: str
    job: SalvagedJob | None = None


#: what ``async for cmd in link.commands()`` yields
Command = Envelope[Any] | BadCommand


def decode_command(payload: bytes) -> Command:
    """One ``cmd`` payload → its validated envelope, or why not (parsed once)."""
    try:
        return decode(payload, MsgType.CMD)
    except PayloadError as err:
        job = salvage(err.parsed) if err.parsed is not None else None
        return BadCommand(err.reason, str(err), job)
