"""The 好差评 API: kiosk ratings with device credentials, phone ratings by signed link (one
per link, expiry, forgery), the list and reports within the caller's scope (JSON and CSV)."""

from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallRating
from cloud.hall import ratings_store as store
from cloud.hall.ratings_tokens import RatingGrant
from fleet.access import PersonRole
from tests.access.kit import AccessCloud, device_with_secret
from tests.hall.ratings_api_kit import HHL, TGLS, cloud, stored
from tests.hall.ratings_kit import follow_ups, ratings_of

__all__ = ["cloud"]  # the fixture


async def test_kiosk_rating_with_device_credentials_once_per_request_id(cloud: AccessCloud) -> None:
    kiosk = await cloud.client(await device_with_secret(cloud.parts, "kiosk-rate-1"))
    body = {"request_id": "req-0001-aa", "level": 1, "reasons": ["slow"], "service": "hukou"}
    r = await kiosk.post("/api/v1/kiosk/ratings", json=body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["site"], first["source"], first["level"], first["device_id"]) == (
        HHL,
        "kiosk",
        1,
        "kiosk-rate-1",
    )
    assert first["level_name"] == "非常不满意" and first["fwd_state"] == "pending"
    r = await kiosk.post("/api/v1/kiosk/ratings", json=body)  # the kiosk retried
    assert (r.status_code, r.json()["id"]) == (200, first["id"])
    assert len(await follow_ups(cloud.parts.sessions)) == 1
    r = await kiosk.post(
        "/api/v1/kiosk/ratings", json={"request_id": "req-0002-aa", "level": 5, "reasons": ["slow"]}
    )
    assert r.status_code == 422 and "takes no reasons" in r.json()["message"]
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.post("/api/v1/kiosk/ratings", json=body)
    assert r.status_code in (401, 403)  # a person is not a kiosk


async def _link(cloud: AccessCloud, site: str = HHL) -> str:
    staff = await cloud.as_role(PersonRole.WINDOW_STAFF, HHL)
    r = await staff.post(
        "/api/v1/hall/ratings/phone-links",
        params={"site": site},
        json={"ticket_no": "A012", "window": "3", "staff_no": "017"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["url"].endswith(r.json()["path"])
    return str(r.json()["token"])


async def test_phone_link_rates_once_and_the_page_is_local_and_bilingual(
    cloud: AccessCloud,
) -> None:
    token = await _link(cloud)
    anon = await cloud.client()
    page = await anon.get(f"/r/{token}")
    assert page.status_code == 200
    for text in ("非常满意", "Very dissatisfied", "等候时间长", "/console/hall_rate.js", "A012"):
        assert text in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from elsewhere
    r = await anon.post(f"/r/{token}", json={"level": 2, "reasons": ["attitude"]})
    assert r.status_code == 201, r.text
    r = await anon.post(f"/r/{token}", json={"level": 5})  # the same link again
    assert r.status_code == 409 and "one rating per link" in r.json()["message"]
    assert "您已评价" in (await anon.get(f"/r/{token}")).text
    staff = await cloud.as_role(PersonRole.AUDITOR, HHL)
    [row] = (await staff.get("/api/v1/hall/ratings", params={"site": HHL})).json()["items"]
    assert (row["source"], row["level"], row["ticket_no"], row["window_no"]) == (
        "phone",
        2,
        "A012",
        "3",
    )
    assert row["follow_up_id"] is not None


async def test_forged_and_expired_links_are_refused(cloud: AccessCloud) -> None:
    token = await _link(cloud)
    anon = await cloud.client()
    payload, mac = token.split(".")
    forged = f"{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    r = await anon.post(f"/r/{forged}", json={"level": 5})
    assert r.status_code == 422 and "not valid" in r.json()["message"]
    other_site = token.replace(payload, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"))
    assert (await anon.post(f"/r/{other_site}", json={"level": 5})).status_code == 422
    signer = ratings_of(cloud.parts).tokens
    old, _ = signer.issue(RatingGrant(HHL, "A013"), now=time.time() - signer.ttl_s - 1)
    r = await anon.post(f"/r/{old}", json={"level": 5})
    assert r.status_code == 404 and "expired" in r.json()["message"]
    assert (await anon.get(f"/r/{old}")).status_code == 404
    # a link for a site outside the issuer's scope is not issued
    staff = await cloud.as_role(PersonRole.WINDOW_STAFF, HHL)
    r = await staff.post("/api/v1/hall/ratings/phone-links", params={"site": TGLS}, json={})
    assert r.status_code == 404


async def test_report_by_window_and_staff_with_satisfaction_and_csv(cloud: AccessCloud) -> None:
    for n, (level, window, staff) in enumerate(
        [(5, "3", "017"), (4, "3", "017"), (3, "3", "018"), (2, "3", "018"), (1, "5", "019")]
    ):
        await stored(cloud, f"t{n}", level, window=window, staff=staff)
    await stored(cloud, "t-out", None, outcome="timed_out")
    await stored(cloud, "elsewhere", 1, site=TGLS)
    reader = await cloud.as_role(PersonRole.AUDITOR, HHL)
    r = await reader.get("/api/v1/hall/ratings/report", params={"by": "window"})
    assert r.status_code == 200, r.text
    rows = {row["key"]: row for row in r.json()["rows"]}
    assert rows["3"]["counts"] == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 0}
    assert (rows["3"]["rated"], rows["3"]["bad"], rows["3"]["timed_out"]) == (4, 1, 1)
    assert rows["3"]["satisfaction"] == 0.75 and rows["5"]["satisfaction"] == 0.0
    total = r.json()["total"]
    assert (total["rated"], total["bad"]) == (5, 2)  # TGLS is outside the reader's scope
    r = await reader.get("/api/v1/hall/ratings/report", params={"by": "staff", "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0][:3] == ["site", "staff", "非常满意(5)"]
    assert [row[1] for row in table[1:]] == ["017", "018", "019", "total"]
    assert table[-1][-1] == "0.6000"
    r = await reader.get("/api/v1/hall/ratings/report", params={"site": TGLS})
    assert r.status_code == 404
    r = await reader.get("/api/v1/hall/ratings", params={"level": 1})
    assert [i["window_no"] for i in r.json()["items"]] == ["5"]


async def test_a_duplicate_racing_past_the_check_gets_the_stored_row(
    cloud: AccessCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers storing the same event at once: the loser's insert fails on the unique
    key, and it answers with the winner's row (and no second follow-up)."""
    first = await stored(cloud, "race", 1)
    real = store.existing
    seen: list[str] = []

    async def blind_once(s: AsyncSession, key: str) -> HallRating | None:
        seen.append(key)
        return None if len(seen) == 1 else await real(s, key)

    monkeypatch.setattr(store, "existing", blind_once)
    again = await stored(cloud, "race", 1)
    assert again.id == first.id and len(seen) == 2
    assert len(await follow_ups(cloud.parts.sessions)) == 1
    assert len(await cloud.audit_rows("followup.open")) == 1
