"""The cloud's paho (``cloud.bus_client.BatchedPaho``) parses every packet one read brought,
a packet split across reads included, and acknowledges a run of QoS 1 messages in one write
with every message id, in order."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from cloud.bus_client import BatchedPaho


def publish_qos1(topic: str, mid: int, payload: bytes) -> bytes:
    """An MQTT 3.1.1 PUBLISH at QoS 1 (remaining length < 128: one byte)."""
    name = topic.encode()
    body = struct.pack("!H", len(name)) + name + struct.pack("!H", mid) + payload
    assert len(body) < 128
    return bytes([0x32, len(body)]) + body


@pytest.fixture
def wired() -> Iterator[tuple[BatchedPaho, socket.socket, list[mqtt.MQTTMessage], list[int]]]:
    """A client on one end of a socket pair (the broker's end returned), its messages, and
    the size of each ``send`` it made. A write-registration callback is set, as aiomqtt's,
    so PUBACKs wait for :meth:`loop_write` instead of leaving one by one."""
    ours, broker = socket.socketpair()
    ours.setblocking(False)
    client = BatchedPaho(CallbackAPIVersion.VERSION2, client_id="t")
    received: list[mqtt.MQTTMessage] = []
    sends: list[int] = []
    client.on_message = lambda _c, _u, message: received.append(message)
    client.on_socket_register_write = lambda *_: None
    client.on_socket_unregister_write = lambda *_: None
    client._sock = ours
    real_send = client._sock_send

    def counted_send(buf: bytes | bytearray) -> int:
        sends.append(len(buf))
        return real_send(buf)

    client._sock_send = counted_send  # type: ignore[method-assign]
    try:
        yield client, broker, received, sends
    finally:
        client._sock = None
        ours.close()
        broker.close()


def test_one_read_delivers_every_packet_and_one_write_acknowledges_them(
    wired: tuple[BatchedPaho, socket.socket, list[mqtt.MQTTMessage], list[int]],
) -> None:
    client, broker, received, sends = wired
    broker.sendall(b"".join(publish_qos1(f"d/k{i}/tele", 100 + i, b"x" * i) for i in range(20)))

    assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert [(m.topic, m.mid, m.payload) for m in received] == [
        (f"d/k{i}/tele", 100 + i, b"x" * i) for i in range(20)
    ]
    assert client.loop_write() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert sends == [4 * 20]
    acks = broker.recv(4096)
    assert acks == b"".join(struct.pack("!BBH", 0x40, 2, 100 + i) for i in range(20))


def test_a_packet_split_across_reads_is_delivered_once_whole(
    wired: tuple[BatchedPaho, socket.socket, list[mqtt.MQTTMessage], list[int]],
) -> None:
    client, broker, received, _sends = wired
    first, second = publish_qos1("d/a/tele", 7, b"hello"), publish_qos1("d/b/tele", 8, b"bye")
    broker.sendall(first + second[:5])
    client.loop_read()
    assert [m.mid for m in received] == [7]
    broker.sendall(second[5:])
    client.loop_read()
    assert [(m.topic, m.mid, m.payload) for m in received][1:] == [("d/b/tele", 8, b"bye")]


def test_the_closed_connection_is_reported(
    wired: tuple[BatchedPaho, socket.socket, list[mqtt.MQTTMessage], list[int]],
) -> None:
    client, broker, received, _sends = wired
    broker.sendall(publish_qos1("d/a/tele", 1, b"last"))
    broker.shutdown(socket.SHUT_WR)
    client.loop_read()
    assert [m.payload for m in received] == [b"last"]
    # the socket stays readable (end of stream), so its readiness callback comes again
    assert client.loop_read() == MQTTErrorCode.MQTT_ERR_CONN_LOST
    assert client._sock is None
