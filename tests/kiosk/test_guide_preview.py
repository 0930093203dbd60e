"""``POST /api/v1/guide/preview``: the console's preview is ``fleet.guide.applicable`` for an
item being edited (answers change the list, follow-ups appear), with its problems; an
invalid item is 422; reading needs hall.read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.kiosk.guide_sample import sample_catalogue
from fleet.access import PersonRole
from tests.kiosk.guide_kit import GuideEnv, guide_env

PREVIEW = "/api/v1/guide/preview"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[GuideEnv]:
    async with guide_env(tmp_path, amqtt_url) as e:
        yield e


def _item(code: str) -> dict[str, object]:
    item = next(i for i in sample_catalogue().items if i.code == code)
    return item.model_dump(mode="json")


async def test_the_preview_follows_the_answers_and_shows_follow_ups(env: GuideEnv) -> None:
    staff = await env.cloud.as_role(PersonRole.WINDOW_STAFF)
    item = _item("VET-ORG-TRANSFER")
    league = (
        await staff.post(PREVIEW, json={"item": item, "answers": {"member": "league"}})
    ).json()
    assert [q["code"] for q in league["questions"]] == ["member"]
    assert "league_letter" in [m["code"] for m in league["materials"]]
    party = await staff.post(PREVIEW, json={"item": item, "answers": {"member": "party"}})
    assert party.status_code == 200, party.text
    out = party.json()
    assert [q["code"] for q in out["questions"]] == ["member", "to"] and out["unanswered"] == ["to"]
    codes = [m["code"] for m in out["materials"]]
    assert "party_letter" in codes and "league_letter" not in codes
    assert out["forms"] and out["problems"] == []


async def test_problems_are_listed_and_an_invalid_item_is_422(env: GuideEnv) -> None:
    staff = await env.cloud.as_role(PersonRole.OPERATOR)
    item = _item("HH-BIRTH")
    item["materials"][0]["when"] = [{"colour": "red"}]  # type: ignore[index]
    out = (await staff.post(PREVIEW, json={"item": item})).json()
    assert any("colour" in p for p in out["problems"])
    item["code"] = "has space"
    r = await staff.post(PREVIEW, json={"item": item})
    assert r.status_code == 422 and "code" in r.text


async def test_reading_needs_credentials(env: GuideEnv) -> None:
    r = await env.public.post(PREVIEW, json={"item": _item("HH-BIRTH")})
    assert r.status_code == 401
