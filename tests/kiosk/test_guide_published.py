"""The guide pieces on the real catalogue service: the sample catalogue imported through the
console API (JSON, as the published document it is) and published; a kiosk then prints an
item's guide for its answers and the phone page shows the published item, marked as sample.
The demo's seed publishes the sample into an empty catalogue only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import Job
from cloud.kiosk.guide_sample import sample_catalogue
from cloud.kiosk.guide_seed import seed_sample_catalogue
from fleet.access import PersonRole
from protocols.fonts import find_cjk_font
from tests.access.kit import AccessCloud
from tests.conftest import require_or_skip
from tests.kiosk.catalogue_kit import HHL, catalogue_cloud
from tests.kiosk.guide_kit import kiosk_with
from tests.kiosk.guide_pdf_read import pdf_text


@pytest.fixture
async def cloud(tmp_path: Path, amqtt_url: str) -> AsyncIterator[AccessCloud]:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")
    async with catalogue_cloud(tmp_path, amqtt_url) as c:
        yield c


async def test_sample_imported_published_printed_and_shown(cloud: AccessCloud) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    doc = sample_catalogue().model_dump_json().encode()
    r = await admin.post(
        "/api/v1/guide/import?format=json", files={"file": ("sample.json", doc, "application/json")}
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(sample_catalogue().items) and r.json()["problems"] == {}
    published = await admin.post("/api/v1/guide/publish", json={"note": "sample"})
    assert published.status_code == 201, published.text
    assert published.json()["sample"] is True

    kiosk = await kiosk_with(cloud, "kiosk-hhl-a4", HHL, "a4_printer")
    answers = {"placement": "self", "where": "spouse"}
    r = await kiosk.post("/api/v1/kiosk/guide/VET-HUKOU/print", json={"answers": answers})
    assert r.status_code == 201, r.text
    async with cloud.parts.sessions() as s:
        job = await s.scalar(select(Job).where(Job.id == r.json()["job_id"]))
    assert job is not None and job.target_device_id == "kiosk-hhl-a4"
    with cloud.parts.blobs.open(job.params["document"]) as fh:
        text = pdf_text(fh.read())
    assert "退役军人落户" in text and "结婚证" in text and "样例数据" in text
    assert "公安局户政" in text  # the department's name from the published catalogue

    page = await (await cloud.client()).get("/g/VET-HUKOU?where=parents")
    assert page.status_code == 200 and "亲属关系证明" in page.text and "样例数据" in page.text


async def test_the_demo_seed_publishes_the_sample_once_and_never_over_work(
    cloud: AccessCloud,
) -> None:
    service = cloud.parts.kiosk.catalogue
    assert service is not None
    assert await seed_sample_catalogue(service) == 1
    current = await service.current()
    assert current is not None and current.sample and len(current.items) >= 30
    assert await seed_sample_catalogue(service) is None  # published already: left alone
    for item in current.items:  # an emptied working copy, a catalogue still published
        await service.delete(item.code, actor="test")
    assert await seed_sample_catalogue(service) is None
    assert [v.version for v in await service.versions()] == [1]
