"""Inbound commands, decoded once: a valid ``cmd`` envelope, or a :class:`BadCommand`.

The bytes of a command are parsed exactly once; when the envelope fails validation, the
job it names (if any) is salvaged from that same parse so the agent can reject it at once
instead of leaving it to time out at the cloud. The checks and reasons are the protocol's
(``protocols.envelope.decode``): ``too_large``, ``not_json``, ``not_object``, ``bad_type``,
``type_mismatch``, ``bad_version``, ``invalid``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from edge_agent.jobs.salvage import SalvagedJob, brief, salvage
from protocols import PROTOCOL_VERSION
from protocols.envelope import MAX_PAYLOAD_BYTES, Envelope, MsgType
from protocols.messages import CommandBody

_COMMAND: TypeAdapter[Envelope[Any]] = TypeAdapter(Envelope[CommandBody])


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
    if len(payload) > MAX_PAYLOAD_BYTES:
        return BadCommand(
            "too_large", f"payload is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit"
        )
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return BadCommand("not_json", f"payload is not UTF-8 JSON: {err}")
    if not isinstance(raw, dict):
        return BadCommand("not_object", "payload must be a JSON object (the envelope)")
    refused = _refused_header(raw)
    if refused is not None:
        return refused
    try:
        return _COMMAND.validate_python(raw)
    except ValidationError as err:
        return BadCommand("invalid", f"cmd message is invalid: {brief(err)}", salvage(raw))


def _refused_header(raw: dict[str, Any]) -> BadCommand | None:
    """The envelope's type and version, checked before its body is validated."""
    type_ = raw.get("type")
    if type_ not in {t.value for t in MsgType}:
        known = ", ".join(t.value for t in MsgType)
        return BadCommand(
            "bad_type", f"envelope type {type_!r} is unknown; known: {known}", salvage(raw)
        )
    if type_ != MsgType.CMD.value:
        return BadCommand(
            "type_mismatch", f"a {type_!r} message arrived where 'cmd' belongs", salvage(raw)
        )
    if raw.get("v") != PROTOCOL_VERSION:
        return BadCommand(
            "bad_version",
            f"protocol version {raw.get('v')!r} is not supported (this side speaks "
            f"{PROTOCOL_VERSION})",
            salvage(raw),
        )
    return None
