"""Connecting once to the broker with a device's credentials, to prove they work.

A plain socket, an optional TLS handshake and one MQTT CONNECT written here (3.1.1 or 5, no
will, clean start), then the CONNACK read and a DISCONNECT: every way it can fail surfaces
as itself — refused or timed-out TCP, the certificate check with its cause, the broker's
return code — where an MQTT library would log some of them and time out.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
from pathlib import Path

from protocols.errors import ProtocolError
from protocols.mqtt_url import MqttEndpoint, parse_mqtt_url
from provisioning.cloud_http import tls_context
from provisioning.enroll_errors import BadInput, BrokerRefused, BrokerUnreachable
from provisioning.tls_diag import diagnose

TIMEOUT_S = 10.0
#: CONNACK codes meaning "these credentials are not accepted" (3.1.1: 4, 5; 5: 0x86, 0x87)
REFUSED_AUTH = {4, 5, 0x86, 0x87, 0x8C}


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _remaining(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, username: str, password: str, v5: bool) -> bytes:
    """MQTT CONNECT: clean session/start, keepalive 30 s, username and password."""
    flags = 0x80 | 0x40 | 0x02
    header = _utf8("MQTT") + bytes([5 if v5 else 4, flags]) + struct.pack("!H", 30)
    if v5:
        header += b"\x00"  # no properties
    body = header + _utf8(client_id) + _utf8(username) + _utf8(password)
    return b"\x10" + _remaining(len(body)) + body


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the broker closed the connection before CONNACK")
        data += chunk
    return data


def _connack(sock: socket.socket) -> int:
    """The CONNACK's return/reason code."""
    first = _read_exact(sock, 2)
    if first[0] >> 4 != 2:
        raise ConnectionResetError(f"the broker answered with packet type {first[0] >> 4}")
    return _read_exact(sock, 2)[1]


def endpoint(url: str) -> MqttEndpoint:
    try:
        return parse_mqtt_url(url)
    except ProtocolError as err:
        raise BadInput(f"the broker URL the cloud gave is unusable: {err}") from err


def prove(
    url: str, username: str, password: str, client_id: str, ca_file: Path | None = None
) -> None:
    """Return if the broker at ``url`` accepts the credentials; else the precise error."""
    ep = endpoint(url)
    where = f"{ep.host}:{ep.port}"
    try:
        sock = socket.create_connection((ep.host, ep.port), timeout=TIMEOUT_S)
    except OSError as err:
        raise BrokerUnreachable(
            f"cannot reach the broker at {ep.url} ({err.strerror or err}); check this "
            "device's network and firewall (TCP port "
            f"{ep.port} outbound) and that the broker runs"
        ) from err
    with contextlib.ExitStack() as stack:
        conn: socket.socket = stack.enter_context(sock)
        if ep.tls:
            ctx = tls_context(ca_file)
            try:
                conn = stack.enter_context(ctx.wrap_socket(sock, server_hostname=ep.host))
            except ssl.SSLCertVerificationError as err:
                raise diagnose(err, ep.host, ep.port, "broker") from err
        code = _exchange(conn, connect_packet(client_id, username, password, ep.version == "5"))
    if code in REFUSED_AUTH:
        raise BrokerRefused(
            f"the broker at {where} refused the device's credentials (CONNACK code {code}: "
            "not authorized); the cloud may not have given them to the broker (broker access "
            "control misconfigured) or the device was revoked meanwhile: ask the operator"
        )
    if code != 0:
        raise BrokerRefused(f"the broker at {where} refused the connection (CONNACK code {code})")


def _exchange(conn: socket.socket, packet: bytes) -> int:
    try:
        conn.sendall(packet)
        code = _connack(conn)
        if code == 0:
            conn.sendall(b"\xe0\x00")  # DISCONNECT: leave no session behind
        return code
    except (OSError, ssl.SSLError) as err:
        raise BrokerUnreachable(
            f"the broker accepted the connection but did not answer CONNECT ({err}); it may "
            "require a client certificate, be overloaded, or be something else on that port"
        ) from err
