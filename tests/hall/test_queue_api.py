"""The queue's REST API on a running cloud: configuration with audit, tickets, window
operations with precise refusals, site scoping and the monitor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fleet.access import PersonRole
from tests.hall.queue_api_kit import HHL, TGLS, Hall, add_staff, configure, hall_cloud

Q = f"?site={HHL}"


@pytest.fixture
async def hall(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Hall]:
    async with hall_cloud(tmp_path, amqtt_url) as h:
        yield h


async def take(c: httpx.AsyncClient, service: str = "s-a", site: str = HHL) -> dict[str, object]:
    r = await c.post(f"/api/v1/hall/tickets?site={site}", json={"service": service})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def op(c: httpx.AsyncClient, window: str, name: str, **body: str) -> httpx.Response:
    return await c.post(f"/api/v1/hall/windows/{window}/{name}{Q}", json=body or None)


async def test_config_is_listed_and_audited(hall: Hall) -> None:
    c = hall.admin
    queues = (await c.get(f"/api/v1/hall/queues{Q}")).json()
    assert [(q["code"], q["prefix"], q["waiting"]) for q in queues] == [
        ("a", "A", 0),
        ("b", "B", 0),
    ]
    windows = (await c.get(f"/api/v1/hall/windows{Q}")).json()
    assert [(w["number"], w["call_button"], w["status"]) for w in windows] == [
        ("1", 1, "closed"),
        ("2", 5, "closed"),
    ]
    r = await c.put(f"/api/v1/hall/queues/a{Q}", json={"name_zh": "综合", "prefix": "C"})
    assert r.status_code == 200 and r.json()["prefix"] == "C"
    rows = await hall.cloud.audit_rows("hall.queue.update")
    assert rows[-1].detail["before"]["prefix"] == "A" and rows[-1].detail["after"]["prefix"] == "C"
    assert len(await hall.cloud.audit_rows("hall.window.create")) == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        (
            "post",
            "queues",
            {"code": "c", "name_zh": "x", "prefix": "A"},
            409,
            "prefix A is used by queue a",
        ),
        ("post", "queues", {"code": "a", "name_zh": "x", "prefix": "Z"}, 409, "queue a exists at"),
        (
            "post",
            "services",
            {"code": "s-x", "name_zh": "x", "queue": "zz"},
            404,
            "queue 'zz' is not configured",
        ),
        (
            "post",
            "windows",
            {"number": "3", "queue_codes": ["zz"]},
            409,
            "queue zz is not configured at",
        ),
        (
            "post",
            "windows",
            {"number": "3", "call_device": "btn-hhl", "call_button": 5},
            409,
            "window 2 uses button 5 of btn-hhl already",
        ),
        ("delete", "queues/a", None, 409, "service s-a is queued in a"),
        ("put", "windows/9", {"queue_codes": []}, 404, "window '9' is not configured"),
    ],
)
async def test_config_refusals(
    hall: Hall, method: str, path: str, body: object, status: int, message: str
) -> None:
    kwargs = {"json": body} if body is not None else {}
    r = await hall.admin.request(method.upper(), f"/api/v1/hall/{path}{Q}", **kwargs)
    assert r.status_code == status, r.text
    assert message in r.json()["message"]


async def test_a_ticket_through_a_window(hall: Hall) -> None:
    c = hall.admin
    t = await take(c)
    assert (t["ticket_no"], t["state"], t["people_ahead"]) == ("A001", "issued", 0)
    r = await op(c, "1", "sign-in", staff_no="9999")
    assert r.status_code == 404 and "staff '9999' is not registered" in r.json()["message"]
    r = await op(c, "1", "sign-in", staff_no="1001")
    assert r.status_code == 200 and r.json()["status"] == "open"
    called = (await op(c, "1", "call-next")).json()
    assert (called["id"], called["state"], called["window"], called["staff_no"]) == (
        t["id"],
        "called",
        "1",
        "1001",
    )
    r = await op(c, "1", "complete")
    assert r.status_code == 409
    assert r.json()["code"] == "illegal_transition"
    assert r.json()["message"].startswith("cannot complete ticket A001: it is called")
    assert (await op(c, "1", "start")).json()["state"] == "serving"
    done = (await op(c, "1", "complete", case_no="C-1")).json()
    assert (done["state"], done["case_no"]) == ("done", "C-1")
    assert (await op(c, "1", "call-next")).status_code == 204
    got = (await c.get(f"/api/v1/hall/tickets/{t['id']}{Q}")).json()
    assert got["state"] == "done"


async def test_window_refusals(hall: Hall) -> None:
    c = hall.admin
    r = await op(c, "9", "call-next")
    assert r.status_code == 404 and "window '9' is not configured" in r.json()["message"]
    r = await op(c, "1", "call-next")
    assert r.status_code == 409 and r.json()["code"] == "window_not_open"
    r = await op(c, "1", "recall")
    assert r.status_code == 409 and "has no called or served ticket" in r.json()["message"]
    r = await op(c, "1", "status", status="sleepy")
    assert r.status_code == 422


async def test_ticket_of_another_site_is_refused(hall: Hall) -> None:
    await configure(hall.admin, TGLS, device="btn-tgls")
    other = await take(hall.admin, site=TGLS)
    r = await hall.admin.get(f"/api/v1/hall/tickets/{other['id']}{Q}")
    assert r.status_code == 404
    assert r.json()["message"] == (
        f"ticket {other['id']} is not a ticket of site {HHL} (it is a ticket of another site)"
    )
    r = await hall.admin.post(f"/api/v1/hall/tickets/{other['id']}/cancel{Q}")
    assert r.status_code == 404


async def test_a_site_outside_the_scope_is_404(hall: Hall) -> None:
    staff = await hall.cloud.as_role(PersonRole.WINDOW_STAFF, scope=TGLS)
    r = await staff.post(f"/api/v1/hall/tickets{Q}", json={"service": "s-a"})
    assert r.status_code == 404 and r.json()["message"].startswith(f"site '{HHL}' not found")
    r = await staff.post(f"/api/v1/hall/windows/1/call-next{Q}")
    assert r.status_code == 404


async def test_window_staff_operate_but_do_not_configure(hall: Hall) -> None:
    staff = await hall.cloud.as_role(PersonRole.WINDOW_STAFF, scope=HHL)
    await take(staff)
    assert (await op(staff, "2", "sign-in", staff_no="1001")).status_code == 200
    assert (await op(staff, "2", "call-next")).status_code == 200
    r = await staff.post(
        f"/api/v1/hall/queues{Q}", json={"code": "z", "name_zh": "z", "prefix": "Z"}
    )
    assert r.status_code == 403 and "hall.configure" in r.json()["message"]


async def test_cancel_and_list(hall: Hall) -> None:
    c = hall.admin
    t1, t2 = await take(c), await take(c, "s-b")
    r = await c.post(f"/api/v1/hall/tickets/{t1['id']}/cancel{Q}")
    assert r.json()["state"] == "cancelled"
    r = await c.post(f"/api/v1/hall/tickets/{t1['id']}/cancel{Q}")
    assert r.status_code == 409 and "it is cancelled" in r.json()["message"]
    items = (await c.get(f"/api/v1/hall/tickets{Q}&state=issued")).json()["items"]
    assert [i["id"] for i in items] == [t2["id"]]


async def test_transfer_via_api(hall: Hall) -> None:
    c = hall.admin
    t = await take(c)
    await add_staff(hall.cloud, HHL, "1002")
    await op(c, "1", "sign-in", staff_no="1001")
    await op(c, "1", "call-next")
    r = await op(c, "1", "transfer", to_window="2")
    new = r.json()
    assert (new["ticket_no"], new["state"], new["window"], new["transferred_from"]) == (
        "A001",
        "issued",
        "2",
        t["id"],
    )
    r = await op(c, "1", "transfer", to_window="2")
    assert r.status_code == 409 and "has no called or served ticket" in r.json()["message"]


async def test_monitor(hall: Hall) -> None:
    c = hall.admin
    for _ in range(3):
        await take(c)
    await op(c, "1", "sign-in", staff_no="1001")
    await op(c, "1", "call-next")
    await op(c, "1", "start")
    await op(c, "1", "complete")
    await op(c, "1", "call-next")
    m = (await c.get(f"/api/v1/hall/monitor{Q}")).json()
    a = next(q for q in m["queues"] if q["code"] == "a")
    assert (a["waiting"], a["served_today"]) == (1, 1)
    assert a["avg_wait_min"] is not None and a["avg_service_min"] is not None
    w1 = next(w for w in m["windows"] if w["number"] == "1")
    assert (w1["status"], w1["staff_no"], w1["ticket_no"], w1["served_today"]) == (
        "open",
        "1001",
        "A002",
        1,
    )
