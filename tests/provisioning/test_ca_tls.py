"""The CA's certificates in a real mutual-TLS handshake with Mosquitto: a device certificate
gets in, one from another CA is refused by the broker, and a broker certificate for another
name is refused by the client (hostname check)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from provisioning import ca
from tests.provisioning.tls_kit import client_context, raw_connect, round_trip, tls12, tls_broker

#: CONNACK, session not present, return code 0 (accepted)
CONNACK_OK = bytes.fromhex("20020000")


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    ca.init_ca(tmp_path / "ca", "Hall CA")
    ca.issue_server(tmp_path / "ca", tmp_path / "broker", ["broker.hall.local", "127.0.0.1"])
    ca.issue_device(tmp_path / "ca", tmp_path / "dev", "kiosk-01")
    return tmp_path


async def test_device_cert_gets_in(pki: Path) -> None:
    with tls_broker(
        pki / "ca/ca.crt", pki / "broker/server.crt", pki / "broker/server.key"
    ) as port:
        ctx = client_context(pki / "ca/ca.crt", pki / "dev/kiosk-01.crt", pki / "dev/kiosk-01.key")
        assert await asyncio.wait_for(round_trip(port, ctx), 20) == b"hello"


def test_cert_from_another_ca_is_refused_by_the_broker(pki: Path) -> None:
    ca.init_ca(pki / "rogue", "Rogue CA")
    ca.issue_device(pki / "rogue", pki / "rogue-dev", "kiosk-01")
    broker = (pki / "ca/ca.crt", pki / "broker/server.crt", pki / "broker/server.key")
    with tls_broker(*broker) as port:
        ca_crt = pki / "ca/ca.crt"
        rogue = (pki / "rogue-dev/kiosk-01.crt", pki / "rogue-dev/kiosk-01.key")
        # TLS 1.2: the broker's verdict on the client certificate is part of the handshake,
        # so its alert names the reason deterministically ...
        with pytest.raises(ssl.SSLError, match="UNKNOWN_CA"):
            raw_connect(port, tls12(client_context(ca_crt, *rogue)))
        with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
            raw_connect(port, tls12(client_context(ca_crt, None, None)))
        # ... TLS 1.3 (the default) sends it after the client's Finished: no CONNACK either way
        for pair in (rogue, (None, None)):
            with pytest.raises((ssl.SSLError, ConnectionError)):
                raw_connect(port, client_context(ca_crt, *pair))
        good = client_context(pki / "ca/ca.crt", pki / "dev/kiosk-01.crt", pki / "dev/kiosk-01.key")
        assert raw_connect(port, good) == CONNACK_OK


def test_server_cert_for_another_name_is_refused_by_the_client(pki: Path) -> None:
    ca.issue_server(pki / "ca", pki / "elsewhere", ["other.hall.local"])
    broker = (pki / "ca/ca.crt", pki / "elsewhere/server.crt", pki / "elsewhere/server.key")
    with tls_broker(*broker) as port:
        ctx = client_context(pki / "ca/ca.crt", pki / "dev/kiosk-01.crt", pki / "dev/kiosk-01.key")
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
            raw_connect(port, ctx, host="127.0.0.1")
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            raw_connect(port, ctx, host="broker.hall.local")
        assert raw_connect(port, ctx, host="other.hall.local") == CONNACK_OK
