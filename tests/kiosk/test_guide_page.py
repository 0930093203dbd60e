"""The public phone page ``GET /g/{code}``: no credentials, the item's facts and windows by
site name, situations as a script-free GET form whose answers change the material list, the
sample banner, text escaped; an unknown item and an unpublished catalogue are pages that say
so (404, 503)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.kiosk.guide_page import guide_html, page_path
from cloud.kiosk.guide_sample import sample_catalogue
from protocols.guide import Item, Material
from tests.kiosk.guide_kit import GuideEnv, guide_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[GuideEnv]:
    async with guide_env(tmp_path, amqtt_url) as e:
        yield e


def _item(code: str) -> Item:
    return next(i for i in sample_catalogue().items if i.code == code)


def _materials(html: str) -> str:
    found = re.search(r'<ol id="materials">(.*?)</ol></div>', html, re.S)
    assert found is not None
    return found[1]


async def test_the_page_is_public_and_follows_the_answers_in_the_query(env: GuideEnv) -> None:
    r = await env.public.get("/g/VET-HUKOU", params={"placement": "assigned", "where": "spouse"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<script" not in html and "退役军人落户" in html and "公安局户政" in html
    assert "黄河路街道办事处" in html  # windows by the site's name, not its path
    listed = _materials(html)
    assert "结婚证" in listed and "安置单位接收证明" in listed and "亲属关系证明" not in listed
    assert re.search(r'name="where" value="spouse" checked', html)
    assert "样例数据" in html  # the sample catalogue says so
    other = _materials((await env.public.get("/g/VET-HUKOU?where=parents")).text)
    assert "亲属关系证明" in other and "结婚证" not in other


async def test_unknown_answers_are_ignored_not_an_error(env: GuideEnv) -> None:
    r = await env.public.get("/g/HH-BIRTH?nonsense=1&marriage=maybe")
    assert r.status_code == 200
    assert "请回答以上问题" in r.text  # marriage=maybe is no option: still unanswered


async def test_an_unknown_item_and_no_catalogue_are_pages_saying_so(env: GuideEnv) -> None:
    r = await env.public.get("/g/NO-SUCH-ITEM")
    assert r.status_code == 404 and "没有找到这个事项" in r.text
    env.catalogue.published = None
    r = await env.public.get("/g/HH-BIRTH")
    assert r.status_code == 503 and "办事指南暂未发布" in r.text


def test_text_is_escaped_and_a_follow_up_question_appears_once_answered() -> None:
    item = _item("VET-ORG-TRANSFER")
    bad = item.model_copy(
        update={"materials": [Material(code="x", name="<b>原件</b>")], "name": "A & <i>"}
    )
    html = guide_html(bad, {})
    assert (
        "&lt;b&gt;原件&lt;/b&gt;" in html and "<b>原件" not in html and "A &amp; &lt;i&gt;" in html
    )
    assert 'name="to"' not in guide_html(item, {"member": "league"})
    assert 'name="to"' in guide_html(item, {"member": "party"})


def test_the_page_path_carries_the_answers() -> None:
    assert page_path("VET-HUKOU", {}) == "/g/VET-HUKOU"
    assert page_path("VET-HUKOU", {"where": "spouse", "who": "agent"}) == (
        "/g/VET-HUKOU?where=spouse&who=agent"
    )
