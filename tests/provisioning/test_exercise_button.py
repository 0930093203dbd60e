"""``kfleet provision test button|rating`` against the call-button and rating-pad simulators
on ptys, over the kfleet serial protocol: a press (a rating) is shown with its raw frame in
hex; no press in time, a malformed frame and a missing port each fail with their own exit
code and sentence; no serial port at all → exit 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.serial_frames import ButtonEvt, ButtonKind, Sync, encode_frame, encode_message
from provisioning.exercise_result import Exit
from simulators.call_button import CallButtonSim
from simulators.rating_pad import Rating, RatingPadSim, Reason, Timeout
from tests.provisioning.exercise_kit import as_json, invoke, invoke_beside
from tests.provisioning.probe_tree import serial, usb


@pytest.fixture
async def button(tmp_path: Path) -> AsyncIterator[CallButtonSim]:
    async with CallButtonSim(heartbeat_s=0.2, link_dir=tmp_path) as sim:
        yield sim


async def host_connected(sim: CallButtonSim | RatingPadSim) -> None:
    """The test's driver opened the port (it sends SYNC first)."""
    async with asyncio.timeout(10):
        await sim.wait_for(lambda: any(isinstance(m, Sync) for m in sim.received))


async def test_a_press_is_shown_with_its_raw_frame(button: CallButtonSim) -> None:
    running = asyncio.create_task(invoke_beside("button", "--port", button.port_path, "--json"))
    await host_connected(button)
    await button.press(3)
    result = await running
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (0, "pass"), result.output
    assert (body["button"], body["kind"], body["firmware"]) == (3, "press", "CB-1.0.3")
    raw = bytes.fromhex(body["raw_frame_hex"])
    assert raw[0] == 0x02 and raw[-1] == 0x03 and raw[3] == 0x20  # STX .. TYPE=BUTTON .. ETX
    assert b'"button":3' in raw


async def test_the_text_result_names_the_button(button: CallButtonSim) -> None:
    running = asyncio.create_task(invoke_beside("button", "--port", button.port_path))
    await host_connected(button)
    await button.press(1)
    result = await running
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"PASS button on {button.port_path}")
    assert "  button: 1\n" in result.output and "  raw_frame_hex: 02 01 " in result.output


async def test_no_press_before_the_countdown_ends_times_out(button: CallButtonSim) -> None:
    result = await invoke_beside("button", "--port", button.port_path, "--timeout", "1")
    assert result.exit_code == Exit.TIMEOUT, result.output
    assert "no button was pressed within 1 s" in result.output
    assert "firmware CB-1.0.3" in result.output


async def test_a_malformed_frame_fails_at_once_with_its_bytes(button: CallButtonSim) -> None:
    running = asyncio.create_task(
        invoke_beside("button", "--port", button.port_path, "--timeout", "30", "--json")
    )
    await host_connected(button)
    press = ButtonEvt(button=2, kind=ButtonKind.PRESS, t=5)
    bad = encode_message(9, press, corrupt_crc=True)
    button.write(bad)
    result = await running
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (Exit.GARBLED, "fail")
    assert body["message"].startswith("the call button sent a malformed frame (bad_crc")
    assert "--baud" in body["message"]
    assert body["bad_frame_hex"] == bad.hex(" ")


async def test_a_frame_of_an_unknown_type_is_malformed_too(button: CallButtonSim) -> None:
    running = asyncio.create_task(invoke_beside("button", "--port", button.port_path))
    await host_connected(button)
    button.write(encode_frame(7, 0x7E, b"{}"))
    result = await running
    assert result.exit_code == Exit.GARBLED, result.output
    assert "malformed frame (unknown_type (type 0x7e))" in result.output


def test_a_named_port_with_nothing_there_is_not_found(tmp_path: Path) -> None:
    for test in ("button", "rating", "idcard"):
        result = invoke(test, "--port", str(tmp_path / "ttyUSB3"))
        assert result.exit_code == Exit.NOT_FOUND, result.output
        assert f"at {tmp_path / 'ttyUSB3'}: nothing is there" in result.output


def test_no_serial_port_on_the_machine_says_so_and_exits_0(tmp_path: Path) -> None:
    for test, what in (("button", "call button"), ("rating", "rating pad")):
        result = invoke(test, "--sysfs-root", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"NOTHING TO TEST {test}: no {what} found")
        assert "serial ports" in result.output and "kfleet provision probe" in result.output


async def test_a_rating_is_shown_with_its_raw_frame(tmp_path: Path) -> None:
    script = [Rating(2, reasons=[Reason.WAIT_LONG])]
    async with RatingPadSim(script, heartbeat_s=0.2, link_dir=tmp_path) as pad:
        result = await invoke_beside("rating", "--port", pad.port_path, "--json")
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (0, "pass"), result.output
    assert (body["key"], body["name"], body["reasons"]) == (2, "不满意", ["等候时间长"])
    assert [r.case for r in pad.asked] == [body["case"]]
    raw = bytes.fromhex(body["raw_frame_hex"])
    assert raw[0] == 0x02 and raw[-1] == 0x03 and raw[3] == 0x31  # TYPE=RATING


async def test_no_rating_key_in_time_times_out(tmp_path: Path) -> None:
    async with RatingPadSim([Timeout()], heartbeat_s=0.2, link_dir=tmp_path) as pad:
        result = await invoke_beside("rating", "--port", pad.port_path, "--timeout", "1")
    assert result.exit_code == Exit.TIMEOUT, result.output
    assert "no rating key was pressed within 1 s" in result.output


async def test_a_rating_with_a_corrupt_frame_is_garbled(tmp_path: Path) -> None:
    async with RatingPadSim([Rating(5)], bad_crc=-1, heartbeat_s=0.2, link_dir=tmp_path) as pad:
        result = await invoke_beside("rating", "--port", pad.port_path, "--json")
    body = as_json(result)
    assert result.exit_code == Exit.GARBLED, result.output
    assert body["message"].startswith("the rating pad sent a malformed frame (bad_crc")
    assert bytes.fromhex(body["bad_frame_hex"])[3] == 0x31  # the rating answer itself


async def test_a_rating_pad_on_the_button_port_is_named(tmp_path: Path) -> None:
    async with RatingPadSim(heartbeat_s=0.2, link_dir=tmp_path) as pad:
        result = await invoke_beside("button", "--port", pad.port_path)
    assert result.exit_code == Exit.GARBLED, result.output
    assert "says it is not a call button" in result.output


async def test_the_only_serial_port_on_the_machine_is_the_one_tested(
    tmp_path: Path, button: CallButtonSim
) -> None:
    root = tmp_path / "root"
    bridge = usb(root, "1-3", "1a86", "7523", "USB Serial", ["ff"])
    serial(root, "ttyUSB0", bridge)
    tty = root / "dev/ttyUSB0"
    tty.unlink()
    tty.symlink_to(button.port_path)  # the fake tree's ttyUSB0 is the simulator
    running = asyncio.create_task(invoke_beside("button", "--sysfs-root", str(root), "--json"))
    await host_connected(button)
    await button.press(6)
    body = as_json(await running)
    assert (body["result"], body["device"], body["button"]) == ("pass", str(tty), 6)


def test_several_serial_ports_and_none_named_asks_which(tmp_path: Path) -> None:
    for n, tty in enumerate(("ttyUSB0", "ttyUSB1")):
        serial(tmp_path, tty, usb(tmp_path, f"1-{n}", "1a86", "7523", "USB Serial", ["ff"]))
    result = invoke("rating", "--sysfs-root", str(tmp_path))
    assert result.exit_code == Exit.USAGE, result.output
    assert "2 candidates for the rating pad" in result.output and "--port" in result.output
    assert str(tmp_path / "dev/ttyUSB0") in result.output
    assert str(tmp_path / "dev/ttyUSB1") in result.output
