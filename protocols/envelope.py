"""The envelope every kfleet MQTT message travels in, and its codec.

Everything the protocol needs is inside the JSON payload, so the contract works on
MQTT 3.1.1 brokers (no user properties, no message expiry) as well as on MQTT 5.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from protocols import PROTOCOL_VERSION
from protocols.errors import PayloadError
from protocols.hall import ContentBody
from protocols.messages import (
    AckBody,
    BirthBody,
    CommandBody,
    EventBody,
    StateBody,
    TelemetryBody,
)
from protocols.topics import DeviceChannel, parse_device_topic

#: Largest payload either side accepts. Blobs (PDFs, scans, images) travel over HTTP.
MAX_PAYLOAD_BYTES = 64 * 1024


class MsgType(StrEnum):
    BIRTH = "birth"
    STATE = "state"
    TELE = "tele"
    EVT = "evt"
    CMD = "cmd"
    ACK = "ack"
    #: cloud → site screens, retained on ``kf/v1/site/{path}/{kind}`` (``protocols.hall``)
    CONTENT = "content"


#: Every channel carries exactly one message type, of the same name.
CHANNEL_TYPE: dict[DeviceChannel, MsgType] = {c: MsgType(c.value) for c in DeviceChannel}

B = TypeVar("B")


class Envelope(BaseModel, Generic[B]):
    """Header + typed body. Field names are short because every message carries them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    src: Annotated[str, Field(min_length=1, max_length=64)]
    seq: Annotated[int, Field(ge=0)]
    ts: Annotated[int, Field(ge=0)]  # sender wall clock, ms since the Unix epoch
    mono: Annotated[int, Field(ge=0)]  # sender monotonic clock, ms
    type: MsgType
    corr: Annotated[str, Field(max_length=64)] | None = None
    exp: Annotated[int, Field(ge=0)] | None = None  # wall clock ms after which to drop it
    body: B

    def expired(self, now_ms: int | None = None) -> bool:
        """True if the sender's expiry has passed."""
        return self.exp is not None and (now_ms if now_ms is not None else wall_ms()) > self.exp


_BODY_ADAPTERS: dict[MsgType, TypeAdapter[Any]] = {
    MsgType.BIRTH: TypeAdapter(Envelope[BirthBody]),
    MsgType.STATE: TypeAdapter(Envelope[StateBody]),
    MsgType.TELE: TypeAdapter(Envelope[TelemetryBody]),
    MsgType.EVT: TypeAdapter(Envelope[EventBody]),
    MsgType.CMD: TypeAdapter(Envelope[CommandBody]),
    MsgType.ACK: TypeAdapter(Envelope[AckBody]),
    MsgType.CONTENT: TypeAdapter(Envelope[ContentBody]),
}


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def mono_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def new_message_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Sender:
    """Stamps outgoing envelopes with a sender id and a per-session sequence number."""

    src: str
    seq: int = field(default=0)

    def envelope(
        self,
        type_: MsgType,
        body: BaseModel,
        *,
        corr: str | None = None,
        ttl_ms: int | None = None,
    ) -> Envelope[Any]:
        now = wall_ms()
        env: Envelope[Any] = Envelope[Any](
            id=new_message_id(),
            src=self.src,
            seq=self.seq,
            ts=now,
            mono=mono_ms(),
            type=type_,
            corr=corr,
            exp=(now + ttl_ms) if ttl_ms is not None else None,
            body=body,
        )
        self.seq += 1
        return env


def encode(env: Envelope[Any]) -> bytes:
    """Serialise an envelope to compact UTF-8 JSON; refuses to exceed the size limit."""
    data = env.model_dump_json(exclude_none=True).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError(
            "too_large",
            f"{env.type} message is {len(data)} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit; "
            "send large content as a blob over HTTP",
        )
    return data


def decode(payload: bytes, expected: MsgType | None = None) -> Envelope[Any]:
    """Parse and validate a payload; raise :class:`PayloadError` with a precise reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(
            "too_large",
            f"payload is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit",
        )
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PayloadError("not_json", f"payload is not UTF-8 JSON: {err}") from err
    if not isinstance(raw, dict):
        raise PayloadError("not_object", "payload must be a JSON object (the envelope)")
    try:
        type_ = MsgType(str(raw.get("type")))
    except ValueError as err:
        raise PayloadError(
            "bad_type",
            f"envelope type {raw.get('type')!r} is unknown; "
            f"known: {', '.join(t.value for t in MsgType)}",
            raw,
        ) from err
    if expected is not None and type_ is not expected:
        raise PayloadError(
            "type_mismatch",
            f"a {type_.value!r} message arrived where {expected.value!r} belongs",
            raw,
        )
    if raw.get("v") != PROTOCOL_VERSION:
        raise PayloadError(
            "bad_version",
            f"protocol version {raw.get('v')!r} is not supported (this side speaks "
            f"{PROTOCOL_VERSION})",
            raw,
        )
    try:
        env: Envelope[Any] = _BODY_ADAPTERS[type_].validate_python(raw)
    except ValidationError as err:
        raise PayloadError(
            "invalid", f"{type_.value} message is invalid: {_brief(err)}", raw
        ) from err
    return env


def decode_device_message(topic: str, payload: bytes) -> tuple[str, Envelope[Any]]:
    """Parse a message on a device topic; returns (device id, envelope).

    Checks that the envelope type matches the channel.
    """
    parsed = parse_device_topic(topic)
    return parsed.device_id, decode(payload, CHANNEL_TYPE[parsed.channel])


def _brief(err: ValidationError, limit: int = 3) -> str:
    parts = []
    for e in err.errors()[:limit]:
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
