"""The cloud's MQTT client: paho reading what the socket holds in one go, and acknowledging it
in one write (issue 12: the cost of a device message at 10,000 agents).

Stock paho reads ONE packet per readiness callback, with a ``recv`` per header byte and one
for the rest; each QoS 1 message then queues a PUBACK, which aiomqtt registers for writing
through ``call_soon_threadsafe`` (a wake-up of the event loop), written by its own ``send``
on the next turn of the loop, and unregistered again. At 1,000 messages/s that was about a
quarter of the cloud's CPU, and a turn of the event loop per message.

Here (:class:`BatchedPaho`) a ``recv`` takes up to :data:`RECV_CHUNK` bytes and paho's reads
are served from that buffer; one readiness callback parses every packet it holds (refilling it
at most :data:`REFILLS` times, so a fast sender cannot hold the loop: what is left waits in the
socket, which stays readable). The PUBACKs those messages queue leave in one ``send``. What
paho does with each packet is unchanged: the same parser, the same acknowledgement, the same
``on_message``.
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

from protocols import mqtt_client

#: bytes one ``recv`` asks for
RECV_CHUNK = 64 * 1024
#: refills of the read buffer per readiness callback (then the event loop gets its turn)
REFILLS = 4
_PUBACK = 0x40


class BatchedPaho(mqtt.Client):
    """:class:`paho.mqtt.client.Client` with buffered reads and coalesced PUBACKs."""

    _rbuf: bytes = b""
    _rpos: int = 0
    _refills_left: int = REFILLS

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Every packet the buffer holds (paho's own reads one per call)."""
        self._refills_left = REFILLS
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._rpos < len(self._rbuf):
            rc = super().loop_read(max_packets)
        return rc

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is None:
            raise ConnectionError("self._sock is None")
        if self._rpos >= len(self._rbuf):
            if self._refills_left <= 0:
                raise BlockingIOError  # the rest waits in the socket, which stays readable
            self._refills_left -= 1
            data = super()._sock_recv(RECV_CHUNK)  # raises as paho's own would
            if not data:
                return data  # the connection closed
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        self._rpos = min(len(self._rbuf), start + bufsize)
        return self._rbuf[start : self._rpos]

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0  # what was buffered belonged to that connection
        super()._sock_close()

    def _packet_write(self) -> MQTTErrorCode:
        """Consecutive unsent PUBACKs leave as one packet (paho does nothing else when a
        PUBACK is written: no callback, no state)."""
        queue = self._out_packet
        if len(queue) > 1 and _is_puback(queue[0]) and _is_puback(queue[1]):
            joined = bytearray()
            while queue and _is_puback(queue[0]):
                joined += queue.popleft()["packet"]
            queue.appendleft(
                {
                    "command": _PUBACK,
                    "mid": 0,
                    "qos": 1,
                    "pos": 0,
                    "to_process": len(joined),
                    "packet": joined,
                    "info": None,
                }
            )
        return super()._packet_write()


def _is_puback(packet: Any) -> bool:
    return bool((packet["command"] & 0xF0) == _PUBACK and packet["pos"] == 0)


class Client(mqtt_client.Client):
    """:class:`protocols.mqtt_client.Client` on :class:`BatchedPaho`.

    aiomqtt builds its paho client itself; the instance it built (not yet connected, its
    callbacks set) takes the subclass, which adds methods and no state of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client.__class__ = BatchedPaho
