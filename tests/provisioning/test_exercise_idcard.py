"""``kfleet provision test idcard`` against the GA 467 reader simulator on a pty: a card is shown
masked as docs/privacy.md says (name, ID number, birth date, address) and never in full, nor
its photo; no card in time, a silent reader, a SAM fault and garbled replies each fail with
their own exit code; no serial port at all → exit 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from provisioning.exercise_result import Exit
from simulators.idcard_reader import SAMPLE_CARDS, Faults, IdCardReaderSim
from tests.provisioning.exercise_kit import as_json, invoke, invoke_beside

CARD = SAMPLE_CARDS[0]  # 王晓明, 632801198805120137


@pytest.fixture
async def reader() -> AsyncIterator[IdCardReaderSim]:
    async with IdCardReaderSim() as sim:
        yield sim


def assert_no_personal_data(output: str, photo: bytes) -> None:
    for raw in (
        CARD.id_number,
        CARD.id_number[4:14],
        CARD.name,
        CARD.name[1:],
        CARD.address,
        CARD.birth_date.strftime("%Y%m%d"),
        CARD.birth_date.isoformat(),
        photo.hex(),
        photo[:16].hex(" "),
    ):
        assert raw not in output


async def test_a_card_is_shown_masked_and_never_in_full(reader: IdCardReaderSim) -> None:
    reader.insert(0)
    result = await invoke_beside("idcard", "--port", reader.port_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"PASS idcard on {reader.port_path}")
    assert "id_number=6328**********0137" in result.output
    assert "name=王*" in result.output and "birth_date=1988-**-**" in result.output
    assert "address=青海省格尔木***" in result.output
    assert "photo: 1024 bytes (not shown)" in result.output
    assert_no_personal_data(result.output, reader.photo)


async def test_json_is_masked_too(reader: IdCardReaderSim) -> None:
    reader.insert(0)
    result = await invoke_beside("idcard", "--port", reader.port_path, "--json")
    body = as_json(result)
    assert (result.exit_code, body["sam_status"]) == (0, "ok")
    assert body["card"]["id_number"] == "6328**********0137"
    assert body["card"]["name"] == "王*"
    assert_no_personal_data(result.output, reader.photo)


async def test_a_card_placed_during_the_countdown_is_read(reader: IdCardReaderSim) -> None:
    running = asyncio.create_task(invoke_beside("idcard", "--port", reader.port_path))
    await reader.wait_for_requests(3)  # SAM status, then "find card" polls: it is waiting
    reader.insert(0)
    result = await running
    assert result.exit_code == 0, result.output


async def test_no_card_in_time_times_out(reader: IdCardReaderSim) -> None:
    result = await invoke_beside("idcard", "--port", reader.port_path, "--timeout", "1")
    assert result.exit_code == Exit.TIMEOUT, result.output
    assert "no card was placed on the reader within 1 s" in result.output
    assert "sam_status: ok" in result.output


@pytest.mark.parametrize(
    ("faults", "code", "said"),
    [
        (Faults(no_reply=True), Exit.TIMEOUT, "does not answer"),
        (Faults(sam_fault=True), Exit.DEVICE_ERROR, "security-module (SAM) fault"),
        (Faults(bad_checksum=True), Exit.GARBLED, "answers, but garbled (bad_checksum)"),
    ],
    ids=["silent", "sam-fault", "bad-checksum"],
)
async def test_a_reader_that_cannot_read_fails_with_its_reason(
    faults: Faults, code: Exit, said: str
) -> None:
    async with IdCardReaderSim(faults=faults) as sim:
        sim.insert(0)
        result = await invoke_beside("idcard", "--port", sim.port_path)
    assert result.exit_code == code, result.output
    assert said in result.output
    assert_no_personal_data(result.output, sim.photo)


def test_no_serial_port_on_the_machine_says_so_and_exits_0(tmp_path: Path) -> None:
    result = invoke("idcard", "--sysfs-root", str(tmp_path), "--json")
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (0, "no_hardware")
    assert "no ID-card reader found" in body["message"]


async def test_a_baud_rate_the_driver_refuses_is_a_usage_error(reader: IdCardReaderSim) -> None:
    result = await invoke_beside("idcard", "--port", reader.port_path, "--baud", "1234")
    assert result.exit_code == Exit.USAGE, result.output
    assert "the driver refuses these settings: baudrate:" in result.output
    assert reader.requests == []  # nothing was sent to the reader
