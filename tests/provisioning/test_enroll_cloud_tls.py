"""The cloud over HTTPS with a certificate ``enroll`` must not trust: another name, dates
outside this device's clock, an unknown CA — each found before the token is sent (the first
call is the token-less reachability check), with the names or the dates in the message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from provisioning.enroll_errors import ClockWrong, TlsNameMismatch, TlsUntrusted
from tests.provisioning.broker_kit import pki, redate
from tests.provisioning.enroll_kit import enroll, live_cloud

TOKEN = "kfe_0123456789abcdef_" + "T" * 43


async def test_cloud_certificate_for_another_name_exits_20(
    tmp_path: Path, mosquitto_url: str
) -> None:
    ca_crt, server = pki(tmp_path / "pki", ["kfleet.other-city.gov.cn"])
    async with live_cloud(tmp_path, mosquitto_url, tls=server) as cloud:
        ran = await enroll(cloud.base_url, TOKEN, tmp_path / "a.toml", "--ca-file", ca_crt)
    assert ran.code == TlsNameMismatch.exit_code, ran
    assert "cloud's TLS certificate" in ran.err
    assert "'127.0.0.1'" in ran.err and "kfleet.other-city.gov.cn" in ran.err


async def test_expired_cloud_certificate_exits_19_with_its_dates(
    tmp_path: Path, mosquitto_url: str
) -> None:
    ca_crt, server = pki(tmp_path / "pki", ["127.0.0.1"])
    now = dt.datetime.now(dt.UTC)
    ended = now - dt.timedelta(days=3)
    redate(tmp_path / "pki" / "ca", server, now - dt.timedelta(days=400), ended)
    async with live_cloud(tmp_path, mosquitto_url, tls=server) as cloud:
        ran = await enroll(cloud.base_url, TOKEN, tmp_path / "a.toml", "--ca-file", ca_crt)
    assert ran.code == ClockWrong.exit_code, ran
    assert "expired by this device's clock" in ran.err
    assert ended.strftime("%Y-%m-%d") in ran.err


async def test_cloud_certificate_from_an_unknown_ca_exits_21(
    tmp_path: Path, mosquitto_url: str
) -> None:
    _, server = pki(tmp_path / "pki", ["127.0.0.1"])
    async with live_cloud(tmp_path, mosquitto_url, tls=server) as cloud:
        ran = await enroll(cloud.base_url, TOKEN, tmp_path / "a.toml")  # no --ca-file
    assert ran.code == TlsUntrusted.exit_code, ran
    assert "--ca-file" in ran.err
