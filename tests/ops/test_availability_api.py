"""``GET /api/v1/availability``: per device and per site subtree, JSON and CSV, site-scoped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.db import sites as site_repo
from cloud.db.models import Device, DeviceEvent
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token

T0 = datetime(2026, 12, 1, tzinfo=UTC)
HHL = "qh/hx/golmud/hhl"
KLY = "qh/hx/golmud/tgls"
PERIOD = {"start": "2026-12-01T00:00:00Z", "end": "2026-12-01T01:40:00+00:00"}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def history(cloud: Parts) -> None:
    """a1 (hhl): 70 up / 20 down / 10 unknown; a2 (hhl): down before the period, up at 50;
    b1 (tgls): up all along (its birth before the period)."""
    plan = {
        "a1": (
            HHL,
            [(10, "birth"), (40, "silent"), (50, "online"), (70, "offline"), (80, "birth")],
        ),
        "a2": (HHL, [(-60, "birth"), (-5, "offline"), (50, "birth")]),
        "b1": (KLY, [(-60, "birth"), (30, "peripheral_health")]),
    }
    async with cloud.sessions() as s:
        for device_id, (path, events) in plan.items():
            site = await site_repo.get_by_path(s, path)
            assert site is not None
            s.add(Device(id=device_id, site_id=site.id, role="kiosk", online=True))
            await s.flush()
            for minutes, kind in events:
                s.add(DeviceEvent(device_id=device_id, at=at(minutes), kind=kind, data={}))
        await s.commit()


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> Any:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    async with running_cloud(settings) as (cloud, http):
        await history(cloud)
        yield cloud, http


async def test_per_device_per_site_subtree_and_total(env: tuple[Parts, httpx.AsyncClient]) -> None:
    _, http = env
    r = await http.get("/api/v1/availability", params={**PERIOD, "site": "qh/hx/golmud"})
    assert r.status_code == 200, r.text
    body = r.json()
    devices = {d["device"]: d for d in body["devices"]}
    assert (devices["a1"]["up_s"], devices["a1"]["down_s"], devices["a1"]["unknown_s"]) == (
        4200,
        1200,
        600,
    )
    assert devices["a1"]["availability_pct"] == pytest.approx(100 * 70 / 90)
    assert (devices["a2"]["up_s"], devices["a2"]["down_s"]) == (50 * 60, 50 * 60)
    assert devices["b1"]["availability_pct"] == 100.0
    sites = {s["site"]: s for s in body["sites"]}
    assert sites[HHL]["up_s"] == 4200 + 3000 and sites[HHL]["down_s"] == 1200 + 3000
    assert sites["qh/hx/golmud"]["up_s"] == 4200 + 3000 + 6000
    assert body["total"]["availability_pct"] == pytest.approx(100 * 13200 / (13200 + 4200))

    one = (await http.get("/api/v1/availability", params={**PERIOD, "device": "a2"})).json()
    assert [d["device"] for d in one["devices"]] == ["a2"]
    missing = await http.get("/api/v1/availability", params={**PERIOD, "device": "nope"})
    assert missing.status_code == 404


async def test_csv_export_has_a_header_and_one_row_per_device_site_and_total(
    env: tuple[Parts, httpx.AsyncClient],
) -> None:
    _, http = env
    r = await http.get("/api/v1/availability", params={**PERIOD, "site": HHL, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["kind"], x["device"] or x["site"]) for x in rows] == [
        ("device", "a1"),
        ("device", "a2"),
        ("site", HHL),
        ("total", ""),
    ]
    assert float(rows[0]["availability_pct"]) == pytest.approx(100 * 70 / 90, abs=0.001)
    assert rows[0]["start_utc"].startswith("2026-12-01T00:00:00")


async def test_a_caller_sees_only_its_subtree(env: tuple[Parts, httpx.AsyncClient]) -> None:
    cloud, http = env
    token = await make_api_token(cloud.sessions, PersonRole.OPERATOR, KLY, name="tgls-op")
    r = await http.get("/api/v1/availability", params=PERIOD, headers=bearer(token))
    assert [d["device"] for d in r.json()["devices"]] == ["b1"]
    r = await http.get(
        "/api/v1/availability", params={**PERIOD, "device": "a1"}, headers=bearer(token)
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"start": "2026-12-01T00:00:00"}, "query.start"),  # no zone
        ({"start": "yesterday"}, "query.start"),
        ({"start": "-1"}, "query.start"),  # not seconds before 1970: ms are 0 or more
    ],
)
async def test_a_bad_period_is_a_clear_422(
    env: tuple[Parts, httpx.AsyncClient], params: dict[str, str], needle: str
) -> None:
    _, http = env
    r = await http.get("/api/v1/availability", params=params)
    assert r.status_code == 422 and needle in r.text, r.text


async def test_an_empty_or_very_long_period_is_answered_not_refused(
    env: tuple[Parts, httpx.AsyncClient],
) -> None:
    """Schema-valid requests (the fuzzer sends both): an end before the start is an empty
    period, and a period from 1970 is answered (unknown before the first event)."""
    _, http = env
    backwards = {"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    r = await http.get("/api/v1/availability", params=backwards)
    assert r.status_code == 200, r.text
    assert r.json()["total"]["availability_pct"] is None
    assert r.json()["start"] == r.json()["end"]
    r = await http.get("/api/v1/availability", params={"start": "0"})
    assert r.status_code == 200, r.text
