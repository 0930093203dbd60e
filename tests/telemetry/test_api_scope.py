"""The read API answers only about the caller's site subtree, with the same numbers the
store holds; bad parameters are 422 with a reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx

from cloud.telemetry.sql_query import normal_step
from cloud.wiring import Parts
from fleet.access import PersonRole
from protocols.envelope import wall_ms
from tests.cloudkit import FakeDevice
from tests.identity_kit import bearer, make_api_token
from tests.telemetry.test_ingest_e2e import online

GOLMUD = "qh/hx/golmud"
TGLS = f"{GOLMUD}/tgls"
CPU = "sys.cpu_pct"


async def two_devices(cloud: Parts, url: str, uid: str) -> tuple[str, str]:
    """k1 at hhl sends cpu 10; k2 at tgls sends cpu 20 and its paper state 1."""
    async with (
        FakeDevice(url, f"k1-{uid}", site=f"{GOLMUD}/hhl") as k1,
        FakeDevice(url, f"k2-{uid}", site=TGLS) as k2,
    ):
        for dev, values in ((k1, {CPU: 10.0}), (k2, {CPU: 20.0, "peripheral.paper": 1.0})):
            await online(cloud, dev)
            async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
                await dev.tele(values)
                assert await sub.wait_for(lambda v: v == "tele", 10)
    assert await cloud.telemetry.flush(30)
    return k1.device_id, k2.device_id


def devices_of(body: dict[str, object]) -> list[str]:
    return sorted(s["labels"]["device"] for s in body["series"])  # type: ignore[attr-defined, index]


async def test_each_caller_sees_its_subtree_only(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    cloud, admin = tele_env
    k1, k2 = await two_devices(cloud, mosquitto_url, uid)
    token = await make_api_token(cloud.sessions, PersonRole.OPERATOR, TGLS, name=f"tgls-{uid}")
    tgls = httpx.AsyncClient(
        transport=admin._transport, base_url="http://kfleet", headers=bearer(token)
    )
    async with tgls:

        async def series(client: httpx.AsyncClient, **params: str) -> dict[str, object]:
            r = await client.get("/api/v1/telemetry/series", params={"name": CPU, **params})
            assert r.status_code == 200, r.text
            return dict(r.json())

        assert devices_of(await series(admin, site=GOLMUD)) == [k1, k2]
        assert devices_of(await series(admin)) == [k1, k2]  # the whole scope by default
        assert devices_of(await series(tgls)) == [k2]
        assert devices_of(await series(tgls, site="qh")) == [k2]  # narrowed to the scope
        assert devices_of(await series(tgls, site=f"{GOLMUD}/hhl")) == []  # beside it
        r = await tgls.get("/api/v1/telemetry/series", params={"name": CPU, "device": k1})
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
        r = await tgls.get("/api/v1/telemetry/latest")
        assert sorted((v["device"], v["name"]) for v in r.json()["values"]) == [
            (k2, "peripheral.paper"),
            (k2, CPU),
        ]
        r = await tgls.get("/api/v1/telemetry/latest", params={"device": k1})
        assert r.status_code == 404
        r = await admin.get("/api/v1/telemetry/names")
        assert r.json() == {"names": ["peripheral.paper", CPU]}
        r = await tgls.get("/api/v1/telemetry/latest", params={"site": f"{GOLMUD}/hhl"})
        assert r.json() == {"values": []}
    staff = await make_api_token(cloud.sessions, PersonRole.WINDOW_STAFF, TGLS, name=f"w-{uid}")
    r = await admin.get("/api/v1/telemetry/stats", headers=bearer(staff))
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")  # no system.read


async def test_times_steps_and_bad_parameters(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    cloud, admin = tele_env
    k1, _ = await two_devices(cloud, mosquitto_url, uid)
    now = wall_ms()
    params = {"name": CPU, "device": k1, "start": str(now - 3_600_000), "end": str(now + 60_000)}
    r = await admin.get("/api/v1/telemetry/series", params=params | {"step": "60"})
    [series] = r.json()["series"]
    assert r.json()["step"] == 60 and [v for _, v in series["points"]] == [10.0]
    iso = {"start": "2026-01-01T08:00:00+08:00", "end": "2026-01-02T00:00:00Z"}
    r = await admin.get("/api/v1/telemetry/series", params=params | iso | {"step": "400"})
    assert (r.status_code, r.json()) == (200, {"series": [], "step": 600, "agg": "avg"})
    r = await admin.get("/api/v1/telemetry/series", params=params | {"start": "0", "step": "1"})
    span_s = (now + 60_000) // 1000
    assert r.json()["step"] == normal_step(-(-span_s // 11_000))  # widened to 11,000 steps
    edge = {"start": "0001-01-01T00:00:00+01:00"}  # before 1970: from 1970
    r = await admin.get("/api/v1/telemetry/series", params=params | edge | {"step": "2678400"})
    assert (r.status_code, len(r.json()["series"])) == (200, 1), r.text
    for bad, code in (
        ({"start": "yesterday"}, "validation_error"),
        ({"start": str(10**25), "end": str(10**25 + 60_000)}, "validation_error"),  # int64
        ({"end": "2026-01-02T00:00:00"}, "validation_error"),  # no zone
        ({"end": ""}, "validation_error"),
        ({"agg": "median"}, "validation_error"),
        ({"tag": "peripheral"}, "validation_error"),
    ):
        r = await admin.get("/api/v1/telemetry/series", params=params | bad)
        assert (r.status_code, r.json()["code"]) == (422, code), (bad, r.text)


async def test_each_metric_has_a_default_aggregate_that_means_something(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    """A paper code's mean is a state that never happened: a code defaults to the step's
    worst (``max``), a gauge to its mean, and an explicit ``agg`` always wins."""
    cloud, admin = tele_env
    _, k2 = await two_devices(cloud, mosquitto_url, uid)
    base = {"device": k2, "step": "60"}
    for name, asked, used in (
        ("peripheral.paper", None, "max"),
        (CPU, None, "avg"),
        ("peripheral.paper", "count", "count"),
    ):
        params = base | {"name": name} | ({"agg": asked} if asked else {})
        r = await admin.get("/api/v1/telemetry/series", params=params)
        assert (r.status_code, r.json()["agg"]) == (200, used), r.text
        [series] = r.json()["series"]
        assert [v for _, v in series["points"]] == [1.0 if name != CPU else 20.0]
