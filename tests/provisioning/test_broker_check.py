"""The one MQTT connection ``enroll`` and ``rotate`` make to prove the credentials, against
real Mosquitto: TLS with a certificate for another name, a certificate outside its dates, a
broker refusing the login, nobody listening — each its own error naming the cause."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kfleet.world.net import free_port
from provisioning.broker_check import prove
from provisioning.enroll_errors import (
    BrokerRefused,
    BrokerUnreachable,
    ClockWrong,
    TlsNameMismatch,
    TlsUntrusted,
)
from tests.provisioning.broker_kit import mosquitto, pki, redate, tls_settings


def test_tls_name_mismatch_names_the_name_dialled_and_the_certificate_s(tmp_path: Path) -> None:
    ca_crt, server = pki(tmp_path, ["broker.other-hall.local"])
    with mosquitto(tls_settings(server)) as port:
        with pytest.raises(TlsNameMismatch) as err:
            prove(f"mqtts://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01", ca_crt)
        text = str(err.value)
        assert "'127.0.0.1'" in text and "broker.other-hall.local" in text
        assert "--san 127.0.0.1" in text
        with pytest.raises(TlsNameMismatch, match="'localhost'"):
            prove(f"mqtts://localhost:{port}", "kiosk-01", "pw", "kiosk-01", ca_crt)


def test_tls_with_the_right_name_and_ca_gets_in(tmp_path: Path) -> None:
    ca_crt, server = pki(tmp_path, ["localhost", "127.0.0.1"])
    with mosquitto(tls_settings(server)) as port:
        prove(f"mqtts://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01", ca_crt)
        prove(f"mqtts://localhost:{port}?v=5", "kiosk-01", "pw", "kiosk-01", ca_crt)


def test_expired_certificate_is_reported_as_a_clock_problem(tmp_path: Path) -> None:
    ca_crt, server = pki(tmp_path, ["127.0.0.1"])
    now = dt.datetime.now(dt.UTC)
    redate(tmp_path / "ca", server, now - dt.timedelta(days=30), now - dt.timedelta(days=1))
    with mosquitto(tls_settings(server)) as port, pytest.raises(ClockWrong) as err:
        prove(f"mqtts://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01", ca_crt)
    text = str(err.value)
    assert "expired by this device's clock" in text and "timedatectl" in text
    assert f"to {(now - dt.timedelta(days=1)).strftime('%Y-%m-%d')}" in text


def test_not_yet_valid_certificate_is_reported_as_a_clock_problem(tmp_path: Path) -> None:
    ca_crt, server = pki(tmp_path, ["127.0.0.1"])
    now = dt.datetime.now(dt.UTC)
    redate(tmp_path / "ca", server, now + dt.timedelta(days=2), now + dt.timedelta(days=400))
    with (
        mosquitto(tls_settings(server)) as port,
        pytest.raises(ClockWrong, match="not yet valid by this device's clock"),
    ):
        prove(f"mqtts://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01", ca_crt)


def test_certificate_from_an_unknown_ca_is_untrusted(tmp_path: Path) -> None:
    _, server = pki(tmp_path / "a", ["127.0.0.1"])
    other_ca, _ = pki(tmp_path / "b", ["127.0.0.1"])
    with mosquitto(tls_settings(server)) as port, pytest.raises(TlsUntrusted, match="--ca-file"):
        prove(f"mqtts://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01", other_ca)


def test_login_refused_by_the_broker() -> None:
    with mosquitto("allow_anonymous false\n") as port:
        with pytest.raises(BrokerRefused, match="not authorized"):
            prove(f"mqtt://127.0.0.1:{port}", "kiosk-01", "wrong", "kiosk-01")
        with pytest.raises(BrokerRefused, match="not authorized"):
            prove(f"mqtt://127.0.0.1:{port}?v=5", "kiosk-01", "wrong", "kiosk-01")


def test_anonymous_broker_accepts_on_both_protocol_versions() -> None:
    with mosquitto("allow_anonymous true\n") as port:
        prove(f"mqtt://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01")
        prove(f"mqtt://127.0.0.1:{port}?v=5", "kiosk-01", "pw", "kiosk-01")


def test_nobody_listening_is_unreachable() -> None:
    port = free_port()
    with pytest.raises(BrokerUnreachable, match=f"mqtt://127.0.0.1:{port}"):
        prove(f"mqtt://127.0.0.1:{port}", "kiosk-01", "pw", "kiosk-01")
