"""How the bus reads what a device sent: the envelope decoder per channel, and the words
for an envelope that names another device than its topic."""

from __future__ import annotations

from typing import Any

from cloud.telemetry.lean import decode_tele
from protocols.envelope import CHANNEL_TYPE, Envelope, decode
from protocols.topics import DeviceChannel


def decode_inbound(payload: bytes, channel: DeviceChannel) -> Envelope[Any]:
    """Telemetry, most of what arrives, takes the lean decoder (``cloud.telemetry.lean``)."""
    if channel is DeviceChannel.TELE:
        return decode_tele(payload)
    return decode(payload, CHANNEL_TYPE[channel])


def src_mismatch(src: str, topic: str) -> str:
    return (
        f"envelope src {src!r} is not the device of its topic {topic!r}: a device publishes "
        "only on its own topics with its own id as src (protocol §4); the message is dropped"
    )
