"""Call button and rating pad drivers against their simulators, over real pseudo-terminals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from edge_agent.drivers.call_button import (
    ButtonEvent,
    CallButtonDriver,
    CallButtonSerial,
    Debouncer,
)
from edge_agent.drivers.rating_pad import RatingPadDriver, RatingPadSerial
from edge_agent.drivers.serial_errors import NoAnswer, PortUnavailable, Refused
from protocols.messages import Health
from protocols.serial_frames import (
    ButtonEvt,
    ButtonKind,
    LedMode,
    RateRequest,
    Reason,
    SetLed,
    encode_message,
)
from simulators.call_button import CallButtonSim
from simulators.rating_pad import Rating, RatingPadSim, Timeout

P, L, R = ButtonKind.PRESS, ButtonKind.LONG_PRESS, ButtonKind.RELEASE
FAST: dict[str, Any] = {
    "heartbeat_s": 0.2,
    "ack_timeout_s": 0.2,
    "reconnect_min_s": 0.02,
    "reconnect_max_s": 0.2,
}


def button_cfg(port: str, **extra: Any) -> CallButtonSerial:
    return CallButtonSerial(type="call_button_serial", id="btn-1", port=port, **FAST | extra)


def pad_cfg(port: str, **extra: Any) -> RatingPadSerial:
    cfg = {"grace_s": 0.5, **FAST, **extra}
    return RatingPadSerial(type="rating_pad_serial", id="pad-1", port=port, **cfg)


async def healthy(driver: CallButtonDriver | RatingPadDriver) -> None:
    async with asyncio.timeout(5):
        await driver.wait_health(Health.OK)


async def take(driver: CallButtonDriver, n: int) -> list[ButtonEvent]:
    async with asyncio.timeout(5):
        return [await driver.next_event() for _ in range(n)]


@pytest.fixture
async def button() -> AsyncIterator[CallButtonSim]:
    async with CallButtonSim(seed=7, heartbeat_s=0.2) as sim:
        yield sim


@pytest.fixture
async def driver(button: CallButtonSim) -> AsyncIterator[CallButtonDriver]:
    async with CallButtonDriver(button_cfg(button.port_path)) as drv:
        await healthy(drv)
        yield drv


# --- call button --------------------------------------------------------------------------------


async def test_press_is_one_event(button: CallButtonSim, driver: CallButtonDriver) -> None:
    await button.press(2)
    events = await take(driver, 2)
    assert [(e.button, e.kind) for e in events] == [(2, P), (2, R)]
    assert events[0].at.tzinfo is not None and events[0].device_ms is not None
    assert driver.counters()["presses"] == 1 and driver._events.empty()
    assert driver.link.fw == "CB-1.0.3"


async def test_bounce_is_one_press(button: CallButtonSim, driver: CallButtonDriver) -> None:
    button.bounce = True
    await button.press(1)  # returns once every edge of both bursts was ACKed by the driver
    assert [e.kind for e in await take(driver, 2)] == [P, R]
    assert button.edges_sent > 2
    assert driver.counters()["bounces"] == button.edges_sent - 2
    assert driver._debouncer.settle(1) == []  # settling later will not add anything
    button.bounce = False
    await button.press(1)
    assert [e.kind for e in await take(driver, 2)] == [P, R]
    assert driver._events.empty() and driver.counters()["presses"] == 2


async def test_long_press(button: CallButtonSim, driver: CallButtonDriver) -> None:
    await button.long_press(3)
    events = await take(driver, 3)
    assert [(e.button, e.kind) for e in events] == [(3, P), (3, L), (3, R)]
    assert driver.counters()["long_presses"] == 1


async def test_garbage_between_frames_is_ignored_and_counted(
    button: CallButtonSim, driver: CallButtonDriver
) -> None:
    button.garbage = 24
    retransmits = button.retransmits
    for n in (1, 2, 3, 4, 5):
        await button.press(n, hold_s=0.05)
    events = await take(driver, 10)
    assert [(e.button, e.kind) for e in events] == [(n, k) for n in (1, 2, 3, 4, 5) for k in (P, R)]
    rejected = {k: v for k, v in driver.counters().items() if k.startswith("rejected.")}
    assert sum(rejected.values()) >= 10, rejected
    assert button.retransmits == retransmits  # garbage before a frame never cost that frame


async def test_leds_and_beep(button: CallButtonSim, driver: CallButtonDriver) -> None:
    await driver.set_led(1, LedMode.BLINK)
    await driver.set_led(2, "on")
    await driver.beep(ms=100, count=2)
    assert button.leds == {1: LedMode.BLINK, 2: LedMode.ON} and button.beeps == 2


async def test_retransmitted_frame_is_delivered_once(
    button: CallButtonSim, driver: CallButtonDriver
) -> None:
    frame = encode_message(200, ButtonEvt(button=4, kind=P, t=button.now_ms()))
    button.write(frame)
    button.write(frame)  # as if our ACK had been lost
    assert (await take(driver, 1))[0].button == 4
    await button.press(5)  # in order behind the duplicate
    assert [e.button for e in await take(driver, 2)] == [5, 5]
    assert driver.counters()["duplicates"] == 1


async def test_unsupported_command_is_refused(driver: CallButtonDriver) -> None:
    request = RateRequest(case="A1", window="3号窗口", timeout_ms=1000)
    with pytest.raises(Refused) as err:
        await driver.link.request(request, "a rating request")
    assert err.value.nak == "unsupported" and "refused" in str(err.value)


async def test_driver_refuses_what_a_button_must_not_send(
    button: CallButtonSim, driver: CallButtonDriver
) -> None:
    retransmits = button.retransmits
    assert not await button.send(SetLed(button=1, mode=LedMode.ON))  # NAKed, not retried
    assert driver.counters()["unsupported"] == 1 and button.retransmits == retransmits


async def test_unplug_goes_offline_and_replug_recovers(
    button: CallButtonSim, driver: CallButtonDriver
) -> None:
    await driver.set_led(1, LedMode.ON)
    button.unplug()
    async with asyncio.timeout(5):
        _, reason = await driver.wait_health(Health.OFFLINE)
    assert reason in {"unplugged", "port_missing"}
    with pytest.raises(PortUnavailable) as err:
        await driver.set_led(1, LedMode.OFF)
    assert "agent reconnects" in str(err.value) or "keeps retrying" in str(err.value)
    assert driver.counters()["errors.unplugged"] == 1
    button.replug()
    await healthy(driver)
    async with asyncio.timeout(5):
        await button.wait_for(lambda: button.leds.get(1) == LedMode.OFF)  # restored
    await button.press(1)
    assert [e.kind for e in await take(driver, 2)] == [P, R]
    assert driver.counters()["connects"] == 2


async def test_hung_device_goes_offline_without_heartbeat(
    button: CallButtonSim, driver: CallButtonDriver
) -> None:
    button.hung = True
    async with asyncio.timeout(5):
        assert await driver.wait_health(Health.OFFLINE) == (Health.OFFLINE, "no_heartbeat")
    button.hung = False
    await healthy(driver)


async def test_missing_port_is_a_clear_error(tmp_path: Any) -> None:
    async with CallButtonDriver(button_cfg(str(tmp_path / "ttyUSB9"))) as drv:
        async with asyncio.timeout(5):
            assert await drv.wait_health(Health.OFFLINE) == (Health.OFFLINE, "port_missing")
        with pytest.raises(PortUnavailable) as err:
            await drv.beep()
        assert err.value.reason == "port_missing"
        assert "ttyUSB9" in str(err.value)


async def test_wrong_device_on_the_port() -> None:
    async with (
        RatingPadSim(heartbeat_s=0.2) as pad,
        CallButtonDriver(button_cfg(pad.port_path)) as drv,
        asyncio.timeout(5),
    ):
        assert await drv.wait_health(Health.OFFLINE) == (Health.OFFLINE, "wrong_device")


def test_config_models() -> None:
    cfg = CallButtonSerial.model_validate(
        {"type": "call_button_serial", "id": "btn-1", "port": "/dev/ttyUSB0"}
    )
    assert cfg.capabilities == ["call_button"] and cfg.baudrate == 9600
    pad = RatingPadSerial.model_validate({"type": "rating_pad_serial", "id": "p", "port": "COM3"})
    assert pad.capabilities == ["rating"]
    with pytest.raises(ValidationError):
        CallButtonSerial.model_validate(
            {"type": "call_button_serial", "id": "b", "port": "x", "baud": 9600}
        )


def test_debouncer_on_device_time() -> None:
    deb = Debouncer(30)
    burst = [(P, 1000), (R, 1003), (P, 1007), (R, 1011), (P, 1016)]
    assert [deb.edge(1, k, t) for k, t in burst] == [[P], [], [], [], []]
    assert deb.settle(1) == []  # ended pressed, as accepted
    assert deb.edge(1, R, 1400) == [R]
    assert deb.edge(1, P, 1405) == [] and deb.settle(1) == [P]  # re-pressed: settle delivers it
    tap = Debouncer(30)
    assert tap.edge(2, P, 0xFFFFFFF0) == [P]
    assert tap.edge(2, R, 5) == []  # 21 ms later across the 2^32 wrap: bounce window
    assert tap.settle(2) == [R]  # a very short tap still ends released
    assert tap.edge(2, L, 50) == [L]


# --- rating pad ---------------------------------------------------------------------------------


@pytest.fixture
async def pad() -> AsyncIterator[RatingPadSim]:
    script: list[Rating | Timeout] = [
        Rating(5),
        Rating(2, reasons=[Reason.WAIT_LONG, Reason.ATTITUDE]),
        Timeout(),
        Rating(1, reasons=["other"]),
    ]
    async with RatingPadSim(script, seed=3, heartbeat_s=0.2) as sim:
        yield sim


@pytest.fixture
async def rater(pad: RatingPadSim) -> AsyncIterator[RatingPadDriver]:
    async with RatingPadDriver(pad_cfg(pad.port_path)) as drv:
        await healthy(drv)
        yield drv


async def test_each_scripted_rating(pad: RatingPadSim, rater: RatingPadDriver) -> None:
    r5 = await rater.request_rating("GM-0001", "3号窗口", 5, staff="张三")
    assert (r5.code, r5.name, r5.reasons, r5.timed_out) == (5, "非常满意", (), False)
    r2 = await rater.request_rating("GM-0002", "3号窗口", 5)
    assert (r2.code, r2.name) == (2, "不满意")
    assert r2.reason_names == ("等候时间长", "态度不好")
    timed_out = await rater.request_rating("GM-0003", "3号窗口", 0.2)
    assert timed_out.timed_out and timed_out.code is None and timed_out.case_no == "GM-0003"
    r1 = await rater.request_rating("GM-0004", "3号窗口", 5)
    assert (r1.name, r1.reason_names) == ("非常不满意", ("其他",))
    assert r1.as_dict()["reasons"] == ["other"]
    assert [a.case for a in pad.asked] == ["GM-0001", "GM-0002", "GM-0003", "GM-0004"]
    assert pad.asked[0].window == "3号窗口" and pad.asked[0].staff == "张三"
    counters = rater.counters()
    assert (counters["ratings.5"], counters["ratings.2"], counters["ratings.1"]) == (1, 1, 1)
    assert counters["timeouts"] == 1 and "host_timeouts" not in counters


async def test_status_and_cancel(pad: RatingPadSim, rater: RatingPadDriver) -> None:
    pad.script.clear()  # the citizen never answers
    assert (await rater.status()).state == "idle"
    asking = asyncio.create_task(rater.request_rating("GM-0100", "5号窗口", 60))
    async with asyncio.timeout(5):
        await pad.wait_for(lambda: pad.state == "asking")
    status = await rater.status()
    assert (status.state, status.case) == ("asking", "GM-0100")
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    assert pad.canceled == ["GM-0100"] and (await rater.status()).state == "idle"


async def test_busy_pad_after_agent_restart(pad: RatingPadSim) -> None:
    pad.script.appendleft(Timeout())
    first = RatingPadDriver(pad_cfg(pad.port_path))
    await first.start()
    await healthy(first)
    asking = asyncio.create_task(first.request_rating("OLD-1", "1号窗口", 60))
    async with asyncio.timeout(5):
        await pad.wait_for(lambda: pad.state == "asking")
    await first.stop()  # the agent dies; the pad keeps showing OLD-1
    with pytest.raises(PortUnavailable):
        await asking
    async with RatingPadDriver(pad_cfg(pad.port_path)) as second:
        await healthy(second)
        result = await second.request_rating("NEW-1", "1号窗口", 5)
        assert result.code == 5 and second.counters()["busy_retries"] == 1
    assert pad.canceled == ["OLD-1"]


async def test_bad_crc_answer_is_retransmitted(pad: RatingPadSim, rater: RatingPadDriver) -> None:
    pad.bad_crc = 1
    retransmits = pad.retransmits
    result = await rater.request_rating("GM-0200", "3号窗口", 5)
    assert result.code == 5
    assert rater.counters()["rejected.bad_crc"] == 1 and pad.retransmits == retransmits + 1


async def test_only_corrupt_answers_is_a_clear_error(
    pad: RatingPadSim, rater: RatingPadDriver
) -> None:
    pad.bad_crc = -1
    with pytest.raises(NoAnswer) as err:
        await rater.request_rating("GM-0300", "3号窗口", 0.3)
    assert err.value.reason == "corrupt_frames" and "CRC" in str(err.value)


async def test_rating_pad_with_line_noise(pad: RatingPadSim, rater: RatingPadDriver) -> None:
    pad.garbage = 16
    assert (await rater.request_rating("GM-0400", "3号窗口", 5)).code == 5
    assert (await rater.request_rating("GM-0401", "3号窗口", 5)).reasons == (
        Reason.WAIT_LONG,
        Reason.ATTITUDE,
    )
    assert sum(v for k, v in rater.counters().items() if k.startswith("rejected.")) > 0


async def test_pad_unplugged_mid_request(pad: RatingPadSim, rater: RatingPadDriver) -> None:
    pad.script.appendleft(Timeout())
    asking = asyncio.create_task(rater.request_rating("GM-0500", "3号窗口", 60))
    async with asyncio.timeout(5):
        await pad.wait_for(lambda: pad.state == "asking")
    pad.unplug()
    with pytest.raises(PortUnavailable) as err:
        await asking
    assert err.value.reason == "unplugged" and "Plug it back in" in str(err.value)
    async with asyncio.timeout(5):
        assert (await rater.wait_health(Health.OFFLINE))[0] is Health.OFFLINE
    pad.replug()
    await healthy(rater)
    assert (await rater.request_rating("GM-0501", "3号窗口", 5)).code == 5
