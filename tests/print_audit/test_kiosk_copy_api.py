"""``/api/v1/kiosk/copies``: a kiosk asks for a copy on itself (purpose ``copy``), once per
request id; a kiosk without a copier is told so in the citizen's words; a kiosk sees only its
own copies, and how they ended."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from cloud.db import devices as device_repo
from cloud.db.models import Device, Job
from cloud.settings import Settings
from fleet.access import PersonRole
from fleet.peripherals import PeripheralState
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device

COPIES = "/api/v1/kiosk/copies"


@pytest.fixture
async def cloud(tmp_path: Path, amqtt_url: str) -> AsyncIterator[AccessCloud]:
    async with access_cloud(Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True)) as c:
        yield c


async def _copier(cloud: AccessCloud, device_id: str) -> httpx.AsyncClient:
    client = await kiosk_device(cloud, device_id, HHL, printer=False)
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, device_id)
        assert device is not None
        a4 = PeripheralState("a4", "a4_printer", capabilities=("a4_print", "copy"))
        device_repo.set_peripherals(device, [a4])
        await s.commit()
    return client


def _body(request_id: str = "copy-1", **extra: object) -> dict[str, object]:
    return {"label": "办理户籍业务", "copies": 2, "request_id": request_id, **extra}


async def test_a_copy_job_on_the_calling_kiosk_once_per_request(cloud: AccessCloud) -> None:
    kiosk = await _copier(cloud, "kiosk-hhl-1")
    r = await kiosk.post(COPIES, json=_body())
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    again = await kiosk.post(COPIES, json=_body())
    assert again.json()["job_id"] == job_id
    async with cloud.parts.sessions() as s:
        job = await s.get(Job, job_id)
    assert job is not None
    assert (job.kind, job.purpose, job.target_device_id) == ("copy", "copy", "kiosk-hhl-1")
    assert job.params["purpose"] == "办理户籍业务" and job.params["copies"] == 2
    state = await kiosk.get(f"{COPIES}/{job_id}")
    assert state.status_code == 200 and state.json()["state"] == "waiting"
    other = await _copier(cloud, "kiosk-hhl-3")
    assert (await other.get(f"{COPIES}/{job_id}")).status_code == 404  # not its copy


async def test_a_kiosk_without_a_copier_is_told_so(cloud: AccessCloud) -> None:
    bare = await kiosk_device(cloud, "kiosk-hhl-2", HHL, printer=True)
    r = await bare.post(COPIES, json=_body())
    assert r.status_code == 409 and r.json()["code"] == "no_copier"
    assert "窗口" in r.json()["citizen_message"]


async def test_bad_input_is_refused_precisely(cloud: AccessCloud) -> None:
    kiosk = await _copier(cloud, "kiosk-hhl-1")
    for bad in (
        _body(label="办理\x07业务"),
        _body(label=""),
        _body(copies=11),
        _body(copies="2"),
        _body(request_id="a b"),
        {**_body(), "extra": 1},
    ):
        r = await kiosk.post(COPIES, json=bad)
        assert r.status_code == 422, (bad, r.text)
    operator = await cloud.as_role(PersonRole.OPERATOR)
    assert (await operator.post(COPIES, json=_body())).status_code == 403  # devices only


async def test_how_a_copy_ended_is_said_in_the_citizens_words(cloud: AccessCloud) -> None:
    kiosk = await _copier(cloud, "kiosk-hhl-1")
    job_id = (await kiosk.post(COPIES, json=_body())).json()["job_id"]
    for state, reason, said, words in (
        ("failed", "paper_out", "failed", "缺纸"),
        ("failed", "camera_error", "failed", "高拍仪"),
        ("uncertain", "printer_silent", "uncertain", "不要重复复印"),
        ("succeeded", "", "done", None),
    ):
        async with cloud.parts.sessions() as s:
            await s.execute(update(Job).where(Job.id == job_id).values(state=state, reason=reason))
            await s.commit()
        got = (await kiosk.get(f"{COPIES}/{job_id}")).json()
        assert got["state"] == said
        if words is None:
            assert got["citizen_message"] is None
        else:
            assert words in got["citizen_message"] and got["citizen_message_en"]
