"""``kfleet provision test button|rating``: the call button or the 好差评 rating pad through the
agent's own drivers. The test connects, waits for the device's heartbeat, then counts down
while the technician presses a button (or a rating key) and shows what arrived: the key, and
the raw frame in hex. A malformed frame fails the test at once, with its bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from edge_agent.drivers.call_button import ButtonEvent, CallButtonDriver, CallButtonSerial
from edge_agent.drivers.rating_pad import RatingPadDriver, RatingPadSerial, RatingResult
from edge_agent.drivers.serial_errors import NoAnswer, PortUnavailable, SerialDeviceError
from edge_agent.drivers.serial_link import SerialDriver
from protocols.messages import Health
from protocols.serial_frames import ButtonKind, MsgType
from provisioning.exercise_find import TEST_ID
from provisioning.exercise_frames import FrameTap, hex_of
from provisioning.exercise_progress import Feedback
from provisioning.exercise_result import Exit, TestFailed

T = TypeVar("T")

#: how long the device has to send its first heartbeat (its interval is 1-5 s)
CONNECT_TIMEOUT_S = 6.0


def _malformed(tap: FrameTap, what: str) -> TestFailed:
    bad = tap.first_bad()
    assert bad is not None
    return TestFailed(
        Exit.GARBLED,
        f"the {what} sent a malformed frame ({bad.describe()}): a wrong baud rate (--baud), "
        "electrical noise or firmware that does not speak the kfleet serial protocol "
        "(docs/serial-peripherals.md). Check --baud and the cable; replace the device if it "
        "repeats",
        {"bad_frame_hex": hex_of(bad.raw)},
    )


async def _connected(driver: SerialDriver, tap: FrameTap, what: str) -> str:
    """Wait (at most ``CONNECT_TIMEOUT_S``) for the device's first heartbeat; its firmware."""
    changed = asyncio.Event()
    driver.on_health_change(changed.set)
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        while True:
            changed.clear()
            health, reason = await driver.health()
            if health is Health.OK:
                return driver.link.fw or "?"
            if reason == "wrong_device":
                raise TestFailed(
                    Exit.GARBLED,
                    f"the device on {driver.cfg.port} says it is not a {what} (its heartbeat "
                    "names another kind): check which port each device is on",
                )
            if isinstance(driver.link.last_error, PortUnavailable):
                raise TestFailed(Exit.NOT_FOUND, str(driver.link.last_error))
            if tap.bad.is_set():
                raise _malformed(tap, what)
            await _either(changed, tap.bad)


async def _either(*events: asyncio.Event) -> None:
    """Until one of ``events`` is set."""
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def _unless_malformed(work: Awaitable[T], tap: FrameTap, what: str, wait_s: float) -> T:
    """``work``'s result, unless a malformed frame comes first (GARBLED) or time runs out."""
    task = asyncio.ensure_future(work)
    bad = asyncio.create_task(tap.bad.wait())
    try:
        done, _ = await asyncio.wait({task, bad}, timeout=wait_s, return_when="FIRST_COMPLETED")
    finally:
        bad.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task in done:
        return task.result()
    if bad in done:
        raise _malformed(tap, what)
    raise TimeoutError


async def _first_press(driver: CallButtonDriver) -> ButtonEvent:
    while True:
        event = await driver.next_event()
        if event.kind in (ButtonKind.PRESS, ButtonKind.LONG_PRESS):
            return event


def _serial_exit(err: SerialDeviceError) -> Exit:
    if isinstance(err, PortUnavailable):
        return Exit.LOST
    if isinstance(err, NoAnswer):
        return Exit.GARBLED if err.reason == "corrupt_frames" else Exit.TIMEOUT
    return Exit.DEVICE_ERROR


def _no_answer(what: str, port: str, wait_s: float) -> TestFailed:
    return TestFailed(
        Exit.TIMEOUT,
        f"the {what} on {port} sent no heartbeat within {wait_s:.0f} s: it is not powered, on "
        "another port, or set to another baud rate (--baud)",
    )


async def exercise_button(
    port: str, baud: int, wait_s: float, feedback: Feedback
) -> dict[str, Any]:
    """Wait for one press; the button number, the kind and the frame's bytes."""
    cfg = CallButtonSerial(type="call_button_serial", id=TEST_ID, port=port, baudrate=baud)
    driver, tap = CallButtonDriver(cfg), FrameTap()
    driver.link.add_raw_listener(tap.feed)
    async with driver:
        try:
            with feedback.spinner(f"connecting to the call button on {port}"):
                fw = await _connected(driver, tap, "call button")
        except TimeoutError:
            raise _no_answer("call button", port, CONNECT_TIMEOUT_S) from None
        try:
            async with feedback.countdown("press a button on the call button", wait_s):
                event = await _unless_malformed(_first_press(driver), tap, "call button", wait_s)
        except TimeoutError:
            raise TestFailed(
                Exit.TIMEOUT,
                f"no button was pressed within {wait_s:.0f} s (the call button is connected: "
                f"firmware {fw}); press a button while the countdown runs, or give a longer "
                "--timeout. If you did press, the button or its wiring is faulty",
                {"firmware": fw},
            ) from None
    frame = tap.last_of(MsgType.BUTTON)
    return {
        "firmware": fw,
        "button": event.button,
        "kind": str(event.kind),
        "device_time_ms": event.device_ms,
        "raw_frame_hex": hex_of(frame.raw) if frame else "",
    }


async def exercise_rating(
    port: str, baud: int, wait_s: float, feedback: Feedback
) -> dict[str, Any]:
    """Ask the pad for a rating of a test case; the key pressed and the frame's bytes."""
    cfg = RatingPadSerial(type="rating_pad_serial", id=TEST_ID, port=port, baudrate=baud)
    driver, tap = RatingPadDriver(cfg), FrameTap()
    driver.link.add_raw_listener(tap.feed)
    case = "TEST-" + datetime.now(UTC).strftime("%H%M%S")
    async with driver:
        try:
            with feedback.spinner(f"connecting to the rating pad on {port}"):
                fw = await _connected(driver, tap, "rating pad")
        except TimeoutError:
            raise _no_answer("rating pad", port, CONNECT_TIMEOUT_S) from None
        ask = driver.request_rating(case, "TEST", wait_s)
        try:
            async with feedback.countdown("press a rating key on the pad", wait_s):
                # the driver gives up grace_s after the pad's own timeout: wait that long too
                result = await _unless_malformed(ask, tap, "rating pad", wait_s + 5)
        except SerialDeviceError as err:
            raise TestFailed(_serial_exit(err), str(err), {"firmware": fw}) from err
        except TimeoutError:
            result = RatingResult(case, timed_out=True)
    if result.timed_out:
        raise TestFailed(
            Exit.TIMEOUT,
            f"no rating key was pressed within {wait_s:.0f} s (the pad showed the request "
            f"for case {case}); press a key while the countdown runs, or give a longer "
            "--timeout",
            {"firmware": fw, "case": case},
        )
    frame = tap.last_of(MsgType.RATING)
    return {
        "firmware": fw,
        "case": case,
        "key": result.code,
        "name": result.name,
        "reasons": list(result.reason_names),
        "raw_frame_hex": hex_of(frame.raw) if frame else "",
    }
