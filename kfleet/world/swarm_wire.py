"""The few MQTT 3.1.1 packets a swarm device needs, encoded and decoded by hand.

A whole MQTT client per simulated device (aiomqtt over paho, a thread-safe state machine and
a task per connection) costs ~100 kB and a scheduling round per message; ten thousand of them
do not fit one core. A device of :mod:`kfleet.world.swarm` is one ``asyncio.Protocol`` that
writes these packets itself: CONNECT (with the retained will), SUBSCRIBE, PUBLISH at QoS 0/1,
PUBACK, PINGREQ and DISCONNECT, and reads CONNACK, SUBACK, PUBLISH, PUBACK and PINGRESP.
Nothing here is kfleet-specific: it is the MQTT 3.1.1 wire format (OASIS standard, §2–3).
"""

from __future__ import annotations

from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ_TYPE, PINGRESP, DISCONNECT_TYPE = 8, 9, 12, 13, 14

PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"
#: the largest "remaining length" MQTT can express (four length bytes)
MAX_REMAINING = 268_435_455


class WireError(Exception):
    """The broker sent something this codec cannot read: the connection is dropped."""


def _length(n: int) -> bytes:
    """MQTT's variable-length "remaining length" (7 bits a byte, high bit = more)."""
    if not 0 <= n <= MAX_REMAINING:
        raise WireError(f"remaining length {n} is out of MQTT's range")
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _utf8(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return len(raw).to_bytes(2, "big") + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes((first,)) + _length(len(body)) + body


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def connect(
    client_id: str,
    *,
    keepalive_s: int,
    will: Will | None = None,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """CONNECT with a clean session (a kfleet agent keeps no broker session, protocol §3)."""
    flags = 0x02
    payload = _utf8(client_id)
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
        payload += _utf8(will.topic) + _utf8(will.payload)
    if username is not None:
        flags |= 0x80
        payload += _utf8(username)
        if password is not None:
            flags |= 0x40
            payload += _utf8(password)
    header = _utf8("MQTT") + bytes((4, flags)) + keepalive_s.to_bytes(2, "big")
    return _packet(CONNECT << 4, header + payload)


def subscribe(packet_id: int, filters: list[str], qos: int = 1) -> bytes:
    body = packet_id.to_bytes(2, "big") + b"".join(_utf8(f) + bytes((qos,)) for f in filters)
    return _packet((SUBSCRIBE << 4) | 0x02, body)


def publish(topic: str, payload: bytes, *, qos: int, retain: bool = False, pid: int = 0) -> bytes:
    first = (PUBLISH << 4) | (qos << 1) | (1 if retain else 0)
    head = _utf8(topic) + (pid.to_bytes(2, "big") if qos else b"")
    return _packet(first, head + payload)


def puback(packet_id: int) -> bytes:
    return b"\x40\x02" + packet_id.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet read from the broker: its type, the fixed header's flags, its body."""

    kind: int
    flags: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Message:
    """An incoming PUBLISH."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    packet_id: int


def read_publish(packet: Packet) -> Message:
    body = packet.body
    if len(body) < 2:
        raise WireError("PUBLISH too short for its topic length")
    n = int.from_bytes(body[:2], "big")
    qos = (packet.flags >> 1) & 0x03
    at = 2 + n
    pid = 0
    if qos:
        pid = int.from_bytes(body[at : at + 2], "big")
        at += 2
    if at > len(body):
        raise WireError("PUBLISH shorter than its topic and packet id")
    try:
        topic = body[2 : 2 + n].decode()
    except UnicodeDecodeError as err:
        raise WireError("PUBLISH topic is not UTF-8") from err
    return Message(topic, body[at:], qos, bool(packet.flags & 0x01), pid)


class Reader:
    """Splits the byte stream from the broker into packets (any chunking)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Packet]:
        self._buf += data
        packets: list[Packet] = []
        while True:
            parsed = self._header()
            if parsed is None:
                return packets
            start, size = parsed
            end = start + size
            if len(self._buf) < end:
                return packets
            first = self._buf[0]
            packets.append(Packet(first >> 4, first & 0x0F, bytes(self._buf[start:end])))
            del self._buf[:end]

    def _header(self) -> tuple[int, int] | None:
        """(where the body starts, its length), or None until the header is complete."""
        size, shift = 0, 0
        for i in range(1, 5):
            if i >= len(self._buf):
                return None
            byte = self._buf[i]
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return i + 1, size
            shift += 7
        raise WireError("remaining length longer than four bytes")
