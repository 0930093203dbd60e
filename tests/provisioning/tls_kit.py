"""A private Mosquitto with a mutual-TLS listener, and an MQTT client that dials it."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiomqtt

from kfleet.world.net import free_port, wait_port
from tests.conftest import mosquitto_binary


@contextmanager
def tls_broker(ca_crt: Path, server_crt: Path, server_key: Path) -> Iterator[int]:
    """Mosquitto on 127.0.0.1 requiring a client certificate from ``ca_crt``; yields its port."""
    binary = mosquitto_binary()
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kf-mosq-tls-"))
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        f"cafile {ca_crt}\ncertfile {server_crt}\nkeyfile {server_key}\n"
        "require_certificate true\nuse_identity_as_username true\nlog_dest stderr\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port("127.0.0.1", port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def client_context(ca_crt: Path, crt: Path | None, key: Path | None) -> ssl.SSLContext:
    """Verifies the broker against ``ca_crt`` (name included); presents ``crt`` if given."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_crt))
    if crt is not None and key is not None:
        ctx.load_cert_chain(str(crt), str(key))
    return ctx


async def round_trip(port: int, ctx: ssl.SSLContext, host: str = "127.0.0.1") -> bytes:
    """Connect, publish to itself and read it back: proof the TLS session really carries MQTT."""
    async with aiomqtt.Client(host, port, tls_context=ctx, timeout=10) as client:
        await client.subscribe("kf/tls-test", qos=1)
        await client.publish("kf/tls-test", b"hello", qos=1)
        async for message in client.messages:
            return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no message came back")


def tls12(ctx: ssl.SSLContext) -> ssl.SSLContext:
    """``ctx`` capped at TLS 1.2, where the server's verdict on the client is in the handshake."""
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


#: MQTT 3.1.1 CONNECT, clean session, keepalive 60 s, client id "k1"
CONNECT = bytes.fromhex("100e00044d5154540402003c00026b31")


def raw_connect(port: int, ctx: ssl.SSLContext, host: str = "127.0.0.1") -> bytes:
    """A TLS handshake and one MQTT CONNECT over a plain socket, returning the broker's first
    bytes: the handshake's and the broker's verdicts surface as ``ssl.SSLError`` with the
    alert's name (paho only logs them and then times out), and the socket is always closed."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        ctx.wrap_socket(sock, server_hostname=host) as tls,
    ):
        tls.sendall(CONNECT)
        return tls.recv(4)
