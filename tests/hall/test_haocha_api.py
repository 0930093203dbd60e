"""The forwarding API on a running cloud whose forwarder talks to the simulated platform: the
status an operator reads, a refused rating sent again once its cause is fixed (audited),
scoping and permissions, and forwarding switched off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cloud.db import sites as site_repo
from cloud.settings import Settings
from fleet.access import PersonRole
from simulators.haocha_platform import HaochaPlatform
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud, device_with_secret
from tests.hall.haocha_kit import add_ratings, settled

STATUS = "/api/v1/hall/ratings/forwarding"


def _settings(tmp_path: Path, mqtt_url: str, url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        mqtt_url=mqtt_url,
        demo=True,
        haocha_url=url,
        haocha_app_id="sim-app",
        haocha_secret=SecretStr("sim-secret"),
        haocha_backoff_s=0.05,
        haocha_poll_s=0.1,
    )


@pytest.fixture
async def platform() -> AsyncIterator[HaochaPlatform]:
    async with HaochaPlatform(sites=set()) as p:  # no site registered yet: all refused
        yield p


async def _hhl_id(api: AccessCloud) -> int:
    async with api.parts.sessions() as s:
        return (await site_repo.require(s, HHL)).id


async def _status(http: httpx.AsyncClient, site: str = HHL) -> dict[str, Any]:
    r = await http.get(STATUS, params={"site": site})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_refused_rating_is_shown_and_sent_again_once_fixed(
    tmp_path: Path, amqtt_url: str, platform: HaochaPlatform
) -> None:
    async with access_cloud(_settings(tmp_path, amqtt_url, platform.url)) as api:
        (rid,) = await add_ratings(api.parts.sessions, await _hhl_id(api), 1)
        (row,) = await settled(api.parts.sessions)
        op = await api.as_role(PersonRole.OPERATOR, "qh")
        status = await _status(op)
        assert status["enabled"] and status["counts"]["refused"] == 1
        [refused] = status["refused"]
        assert refused["id"] == rid and refused["error"].startswith("UnknownSite: ")
        platform.sites = {HHL}  # the province registers the site
        r = await op.post(f"/api/v1/hall/ratings/{rid}/forward")
        assert r.status_code == 200, r.text
        assert (r.json()["fwd_state"], r.json()["fwd_error"]) == ("pending", "")
        (row,) = await settled(api.parts.sessions)
        assert (
            row.fwd_state == "sent" and row.fwd_ref == platform.ratings[f"kfleet-{rid}"]["ratingId"]
        )
        again = await op.post(f"/api/v1/hall/ratings/{rid}/forward")
        assert again.status_code == 409 and row.fwd_ref in again.json()["message"]
        status = await _status(op)
        assert status["counts"] == {"pending": 0, "sent": 1, "refused": 0, "skip": 0}
        [audit] = await api.audit_rows("rating.forward")
        assert (audit.target, audit.site) == (f"hall_rating:{rid}", HHL)
        assert audit.detail["before"]["fwd_state"] == "refused"
        metrics = (await (await api.client()).get("/metrics")).text.splitlines()
    for line in ("kfleet_haocha_sent_total 1.0", "kfleet_haocha_refused_total 1.0"):
        assert line in metrics, line
    assert "kfleet_haocha_enabled 1.0" in metrics


async def test_scope_and_permission(
    tmp_path: Path, amqtt_url: str, platform: HaochaPlatform
) -> None:
    async with access_cloud(_settings(tmp_path, amqtt_url, platform.url)) as api:
        (rid,) = await add_ratings(api.parts.sessions, await _hhl_id(api), 1)
        await settled(api.parts.sessions)
        stranger = await api.as_role(PersonRole.OPERATOR, TGLS)
        outside = await stranger.get(STATUS, params={"site": HHL})
        missing = await stranger.get(STATUS, params={"site": TGLS + "/none"})
        assert outside.status_code == missing.status_code == 404
        assert (await _status(stranger, TGLS))["counts"]["refused"] == 0
        assert (await stranger.post(f"/api/v1/hall/ratings/{rid}/forward")).status_code == 404
        assert (await stranger.post("/api/v1/hall/ratings/999999/forward")).status_code == 404
        auditor = await api.as_role(PersonRole.AUDITOR, "qh")
        assert (await _status(auditor))["counts"]["refused"] == 1
        r = await auditor.post(f"/api/v1/hall/ratings/{rid}/forward")
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")


async def test_forwarding_off_keeps_ratings_pending_and_says_so(
    tmp_path: Path, amqtt_url: str
) -> None:
    async with access_cloud(_settings(tmp_path, amqtt_url, "")) as api:
        await add_ratings(api.parts.sessions, await _hhl_id(api), 3)
        status = await _status(await api.as_role(PersonRole.OPERATOR, "qh"))
    assert not status["enabled"] and status["counts"]["pending"] == 3
    assert status["oldest_pending_age_s"] is not None and status["oldest_pending_age_s"] >= 0


async def test_a_kiosk_rating_reaches_the_platform(tmp_path: Path, amqtt_url: str) -> None:
    """End to end with the ratings service: a kiosk rates through its API, the forwarder
    sends the stored row, the platform holds it as a kiosk (自助终端) rating of the site."""
    async with (
        HaochaPlatform() as p,
        access_cloud(_settings(tmp_path, amqtt_url, p.url)) as api,
    ):
        kiosk = await api.client(await device_with_secret(api.parts, "kiosk-haocha-1"))
        body = {"request_id": "req-hc-0001", "level": 2, "reasons": ["slow"], "service": "hukou"}
        r = await kiosk.post("/api/v1/kiosk/ratings", json=body)
        assert r.status_code == 201, r.text
        (row,) = await settled(api.parts.sessions)
    held = p.ratings[f"kfleet-{row.id}"]
    assert row.fwd_state == "sent" and row.fwd_ref == held["ratingId"]
    assert (held["channel"], held["level"], held["reasons"]) == ("kiosk", 2, ["slow"])
    assert (held["siteCode"], held["serviceCode"]) == (HHL, "hukou")
