"""Site-subtree scoping: a town's operator sees and touches only that town. Lists are
filtered in SQL; one thing outside the scope is a 404 worded exactly like one that does not
exist (its existence elsewhere is not disclosed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fleet.access import PersonRole
from protocols.messages import Health, PeripheralInfo
from tests.access.kit import HHL, TGLS, AccessCloud
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice

BUTTON = PeripheralInfo(
    id="btn", kind="call_button", capabilities=["call_button"], health=Health.OK
)
PERIPHERALS = [RECEIPT_PRINTER, BUTTON]


def receipt(target: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "print_receipt",
        "target": target,
        "params": {"lines": [{"type": "text", "text": "取号 A001"}]},
    }


@dataclass(frozen=True)
class Towns:
    mine: str  # a device at HHL, the operator's town
    theirs: str  # a device at TGLS, another town
    operator: httpx.AsyncClient  # scope HHL
    admin: httpx.AsyncClient  # scope qh


async def _online(cloud: AccessCloud, device: FakeDevice) -> None:
    async with cloud.parts.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


@pytest.fixture
async def towns(cloud: AccessCloud, amqtt_url: str, uid: str) -> AsyncIterator[Towns]:
    mine, theirs = f"hhl-{uid}", f"tgls-{uid}"
    async with (
        FakeDevice(amqtt_url, mine, HHL, peripherals=PERIPHERALS) as a,
        FakeDevice(amqtt_url, theirs, TGLS, peripherals=PERIPHERALS) as b,
    ):
        await _online(cloud, a)
        await _online(cloud, b)
        operator = await cloud.as_role(PersonRole.OPERATOR, HHL, name=f"hhl-operator-{uid}")
        admin = await cloud.as_role(PersonRole.ADMINISTRATOR, name=f"root-admin-{uid}")
        yield Towns(mine, theirs, operator, admin)


def same_404(outside: httpx.Response, missing: httpx.Response, real: str, fake: str) -> None:
    """Both 404, and the words differ only by the id asked for."""
    assert outside.status_code == missing.status_code == 404, (outside.text, missing.text)
    assert outside.json()["message"].replace(real, fake) == missing.json()["message"]


async def test_lists_show_only_the_callers_subtree(towns: Towns) -> None:
    devices = (await towns.operator.get("/api/v1/devices")).json()
    assert [d["id"] for d in devices] == [towns.mine]
    assert (await towns.operator.get("/api/v1/devices", params={"site": TGLS})).json() == []
    everything = {d["id"] for d in (await towns.admin.get("/api/v1/devices")).json()}
    assert {towns.mine, towns.theirs} <= everything

    tree = (await towns.operator.get("/api/v1/sites")).json()
    assert [n["path"] for n in tree] == [HHL]  # the scope's own site is the root

    for device in (towns.mine, towns.theirs):
        r = await towns.admin.post("/api/v1/jobs", json=receipt({"device_id": device}))
        assert r.status_code == 201, r.text
    jobs = (await towns.operator.get("/api/v1/jobs")).json()
    assert jobs["total"] == 1 and [j["site"] for j in jobs["items"]] == [HHL]
    assert (await towns.admin.get("/api/v1/jobs")).json()["total"] == 2


async def test_one_thing_outside_the_scope_is_404(towns: Towns) -> None:
    op = towns.operator
    fake = "no-such-kiosk"
    same_404(
        await op.get(f"/api/v1/devices/{towns.theirs}"),
        await op.get(f"/api/v1/devices/{fake}"),
        towns.theirs,
        fake,
    )
    assert (await op.get(f"/api/v1/devices/{towns.mine}")).status_code == 200

    theirs = await towns.admin.post("/api/v1/jobs", json=receipt({"device_id": towns.theirs}))
    job_id = theirs.json()["id"]
    missing_job = "f" * 32
    for suffix, method in (
        ("", "GET"),
        ("/events", "GET"),
        ("/attachments/proof", "GET"),
        ("/cancel", "POST"),
    ):
        same_404(
            await op.request(method, f"/api/v1/jobs/{job_id}{suffix}"),
            await op.request(method, f"/api/v1/jobs/{missing_job}{suffix}"),
            job_id,
            missing_job,
        )
    body = {"action": "done"}
    r = await op.post(f"/api/v1/jobs/{job_id}/resolve", json=body)
    assert r.status_code == 404  # before "not uncertain" (409): the job is not there for them
    assert (await towns.admin.get(f"/api/v1/jobs/{job_id}")).json()["state"] != "canceled"


async def test_creating_a_job_or_call_outside_the_scope_is_404(towns: Towns) -> None:
    op = towns.operator
    same_404(
        await op.post("/api/v1/jobs", json=receipt({"device_id": towns.theirs})),
        await op.post("/api/v1/jobs", json=receipt({"device_id": "no-such-kiosk"})),
        towns.theirs,
        "no-such-kiosk",
    )
    same_404(
        await op.post("/api/v1/jobs", json=receipt({"site": TGLS})),
        await op.post("/api/v1/jobs", json=receipt({"site": "qh/hx/golmud/none"})),
        TGLS,
        "qh/hx/golmud/none",
    )
    beep = "/api/v1/devices/{}/peripherals/btn/actions/beep"
    same_404(
        await op.post(beep.format(towns.theirs)),
        await op.post(beep.format("no-such-kiosk")),
        towns.theirs,
        "no-such-kiosk",
    )
    theirs_call = (await towns.admin.post(beep.format(towns.theirs))).json()["id"]
    missing_call = "call-" + "f" * 32
    same_404(
        await op.get(f"/api/v1/calls/{theirs_call}"),
        await op.get(f"/api/v1/calls/{missing_call}"),
        theirs_call,
        missing_call,
    )
    assert (await op.post(beep.format(towns.mine))).status_code == 202
    mine = await op.post("/api/v1/jobs", json=receipt({"device_id": towns.mine}))
    assert mine.status_code == 201, mine.text
    assert (await towns.admin.get("/api/v1/jobs")).json()["total"] == 1  # nothing else made


async def test_an_administrator_is_bounded_by_its_scope(cloud: AccessCloud) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR, HHL, name="town-admin")
    inside = {"parent": HHL, "code": "cun", "name": "某村", "level": "village"}
    assert (await admin.post("/api/v1/sites", json=inside)).status_code == 201
    outside = {**inside, "parent": TGLS}
    r = await admin.post("/api/v1/sites", json=outside)
    assert r.status_code == 404 and TGLS in r.json()["message"]
    root = {"code": "xz", "name": "西藏", "level": "province"}
    r = await admin.post("/api/v1/sites", json=root)
    assert r.status_code == 403 and r.json()["code"] == "outside_scope", r.text
