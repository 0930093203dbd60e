"""``POST /kiosk/api/idcard/read`` through the real GA 467 driver against the reader simulator:
a card present is kept whole in the session and answered masked; no card, an unplugged reader,
no reader at all and a bad timeout each get their own clear error; 取消 and a session clear stop
a waiting read, and a read stopped by a clear leaves nothing in the next session."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edge_agent.kiosk.idcard import READ_GRACE_S
from simulators.idcard_reader import SAMPLE_CARDS, IdCardReaderSim
from tests.agent.kiosk_agent_kit import kiosk_client, reader_on

CARD = SAMPLE_CARDS[0]  # 王晓明 632801198805120137
TIMEOUT = 10.0


async def test_card_present_is_kept_whole_and_answered_masked(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, parts),
    ):
        sim.insert(0)
        r = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id_number"] == "6328**********0137"
        assert body["name"] == "王*"
        assert body["birth_year"] == "1988"
        assert CARD.id_number not in r.text and CARD.name not in r.text
        assert CARD.address[:8] not in r.text
        kept = parts.session.get("idcard")
        assert kept["id_number"] == CARD.id_number and kept["name"] == CARD.name
        assert kept["birth"] == "1988-05-12" and kept["address"] == CARD.address
        again = await http.get("/kiosk/api/idcard")
        assert again.json()["id_number"] == "6328**********0137"


async def test_no_card_is_a_408_and_keeps_nothing(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, parts),
    ):
        r = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 0.3})
        assert r.status_code == 408
        assert r.json()["code"] == "no_card"
        assert "读卡区" in r.json()["message"]
        assert parts.session.get("idcard") is None
        assert (await http.get("/kiosk/api/idcard")).status_code == 404


async def test_unplugged_reader_is_a_reader_fault(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, parts),
    ):
        sim.insert(0)
        sim.unplug()
        r = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 1})
        assert r.status_code == 503
        assert r.json()["code"] == "idcard_reader_fault"
        assert "工作人员" in r.json()["message"] and r.json()["message_en"]
        assert parts.session.get("idcard") is None


async def test_sam_fault_is_a_reader_fault(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, _),
    ):
        sim.insert(0)
        sim.faults.sam_fault = True
        r = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 1})
        assert r.status_code == 503 and r.json()["code"] == "idcard_reader_fault"


async def test_no_reader_configured(tmp_path: Path) -> None:
    async with kiosk_client(tmp_path) as (http, _):
        r = await http.post("/kiosk/api/idcard/read", json={})
        assert r.status_code == 503
        assert r.json()["code"] == "idcard_reader_missing"


async def test_bad_timeout_is_refused_before_reading(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, _),
    ):
        for bad in (
            {"timeout_s": -1},
            {"timeout_s": 61},
            {"timeout_s": "5"},
            {"timeout_s": True},
            [1],
        ):
            r = await http.post("/kiosk/api/idcard/read", json=bad)
            assert r.status_code == 422, bad
            assert r.json()["code"] == "bad_input"
        assert sim.requests == []


async def test_cancel_stops_a_waiting_read(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, _),
    ):
        waiting = asyncio.create_task(http.post("/kiosk/api/idcard/read", json={"timeout_s": 30}))
        await sim.wait_for_requests(2)  # the driver is polling for a card
        busy = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 1})
        assert busy.status_code == 409 and busy.json()["code"] == "idcard_busy"
        await http.post("/kiosk/api/idcard/cancel")
        async with asyncio.timeout(TIMEOUT):
            r = await waiting
        assert r.status_code == 409 and r.json()["code"] == "idcard_cancelled"


async def test_clear_while_reading_leaves_nothing_in_the_next_session(tmp_path: Path) -> None:
    async with (
        IdCardReaderSim() as sim,
        kiosk_client(tmp_path, {"idcard": reader_on(sim.port_path)}) as (http, parts),
    ):
        waiting = asyncio.create_task(http.post("/kiosk/api/idcard/read", json={"timeout_s": 30}))
        await sim.wait_for_requests(2)
        await http.post("/kiosk/api/session/clear")
        sim.insert(0)  # the card arrives just after the citizen left
        async with asyncio.timeout(TIMEOUT):
            r = await waiting
        assert r.status_code == 409
        assert parts.session.get("idcard") is None


class StuckReader:
    """A reader whose read never ends (a stuck serial line): the kiosk must not wait forever."""

    kind = "idcard_reader"
    id = "stuck"

    async def read_card(self, timeout_s: float) -> None:
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None


async def test_a_stuck_reader_is_bounded_by_the_kiosk(tmp_path: Path) -> None:
    async with kiosk_client(tmp_path, {"stuck": StuckReader()}) as (http, _):  # type: ignore[dict-item]
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with asyncio.timeout(TIMEOUT):
            r = await http.post("/kiosk/api/idcard/read", json={"timeout_s": 0.5})
        assert r.status_code == 408 and r.json()["code"] == "no_card"
        assert loop.time() - start < 0.5 + READ_GRACE_S + 1.0
