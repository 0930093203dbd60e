"""Follow-ups of 差评: one per 不满意/非常不满意, due 15 working days later (across a holiday
week), reminded on the 10th, 13th and 15th working day and once overdue, closed only with a
note by someone holding ``ratings.follow_up`` — each act in the audit log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from cloud.hall.ratings_follow_ups import FollowUps
from fleet import ratings as rules
from fleet.access import PersonRole
from tests.access.kit import AccessCloud
from tests.hall.ratings_api_kit import HHL, TGLS, Recorder, cloud, ratings_cloud, stored
from tests.hall.ratings_kit import DATABASES, follow_ups, ratings_of

__all__ = ["cloud"]  # the fixture


def cst(m: int, d: int, h: int = 10) -> datetime:
    return datetime(2026, m, d, h, tzinfo=rules.CST)


async def test_only_bad_ratings_open_one_follow_up_due_after_the_holidays(
    cloud: AccessCloud,
) -> None:
    for n, level in enumerate((5, 4, 3, None)):
        await stored(cloud, f"ok{n}", level, outcome="rated" if level else "timed_out")
    assert await follow_ups(cloud.parts.sessions) == []
    bad = await stored(cloud, "bad", 2, reasons=("attitude",), rated_at=cst(9, 23))
    [fu] = await follow_ups(cloud.parts.sessions)
    assert (fu.rating_id, fu.state, fu.level, fu.window_no) == (bad.id, "open", 2, "3")
    # 中秋 and 国庆 off, Saturday 10 October a make-up working day: due end of Wed 21 Oct
    assert fu.due_at == datetime(2026, 10, 22, tzinfo=rules.CST)


@pytest.fixture(params=DATABASES)
async def quiet_cloud(
    request: pytest.FixtureRequest, tmp_path: Path, amqtt_url: str, uid: str
) -> AsyncIterator[AccessCloud]:
    """A cloud whose own follow-up worker has made its first round (before any follow-up
    exists) and makes the next only in an hour. The test sets the clock of each round itself;
    the worker's rounds on the real clock, months after these dates, marked the follow-up
    overdue between the test's steps (seen in a rehearsal at load: the 22 October round then
    found nothing left to do)."""
    async with ratings_cloud(request, tmp_path, amqtt_url, uid, hall_ratings_poll_s=3600) as c:
        assert ratings_of(c.parts).poll_s == 3600
        async with asyncio.timeout(60):
            await ratings_of(c.parts).follow_ups.reminded.wait()
        yield c


async def test_reminders_go_out_once_per_stage_and_overdue_is_marked(
    quiet_cloud: AccessCloud,
) -> None:
    cloud = quiet_cloud
    await stored(cloud, "bad", 1, rated_at=cst(9, 23))
    recorder = Recorder()
    fus = FollowUps(cloud.parts.sessions, recorder, ratings_of(cloud.parts).calendar, [])
    assert await fus.remind(cst(10, 13, 23)) == []  # the 9th working day
    [(fu_id, stage)] = await fus.remind(cst(10, 14, 9))
    assert stage == "day10"
    assert await fus.remind(cst(10, 14, 12)) == []  # sent once
    notice, channels = recorder.notices[0]
    assert channels == ["duty-sms"] and notice.key == f"followup:{fu_id}:day10"
    assert "3号窗口 非常不满意" in notice.summary and "2026-10-22 00:00" in notice.summary
    [(_, stage)] = await fus.remind(cst(10, 22, 8))  # the worker was away since the 14th
    assert stage == "overdue"
    [fu] = await follow_ups(cloud.parts.sessions)
    assert (fu.state, fu.reminders) == ("overdue", ["day10", "overdue"])
    assert [r.action for r in await cloud.audit_rows("followup.overdue")] == ["followup.overdue"]


async def test_closing_needs_the_permission_a_note_and_the_scope(cloud: AccessCloud) -> None:
    await stored(cloud, "bad", 2)
    [fu] = await follow_ups(cloud.parts.sessions)
    url = f"/api/v1/hall/follow-ups/{fu.id}"
    staff = await cloud.as_role(PersonRole.WINDOW_STAFF, HHL)
    r = await staff.get("/api/v1/hall/follow-ups", params={"site": HHL})
    assert [i["id"] for i in r.json()["items"]] == [fu.id]
    assert (await staff.post(f"{url}/close", json={"note": "谈话"})).status_code == 403
    other = await cloud.as_role(PersonRole.OPERATOR, TGLS)
    assert (await other.post(f"{url}/close", json={"note": "谈话"})).status_code == 404
    op = await cloud.as_role(PersonRole.OPERATOR, HHL, name="op-hhl")
    assert (await op.post(f"{url}/close", json={})).status_code == 422
    r = await op.post(f"{url}/close", json={"note": "   "})
    assert r.status_code == 409 and "note" in r.json()["message"]
    r = await op.post(f"{url}/assign", json={"assignee": "李科长"})
    assert r.status_code == 200 and r.json()["assignee"] == "李科长"
    r = await op.post(f"{url}/close", json={"note": "已约谈窗口人员并回访群众"})
    assert r.status_code == 200, r.text
    closed = r.json()
    assert (closed["state"], closed["closed_by"]) == ("closed", "token:op-hhl")
    assert closed["note"] == "已约谈窗口人员并回访群众"
    assert (await op.post(f"{url}/close", json={"note": "again"})).status_code == 409
    [row] = await cloud.audit_rows("followup.close", "token:op-hhl")
    assert (row.target, row.site) == (f"followup:{fu.id}", HHL)
    r = await staff.get("/api/v1/hall/follow-ups", params={"state": "closed"})
    assert [i["id"] for i in r.json()["items"]] == [fu.id]
    assert (await staff.get("/api/v1/hall/follow-ups")).json()["items"] == []
