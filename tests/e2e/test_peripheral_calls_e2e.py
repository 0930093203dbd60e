"""Peripheral calls end to end on Mosquitto: REST → cloud → MQTT → real agent → simulated call
button / 好差评 rating pad on ptys → the agent's answer → the call settles (long-poll), and the
rating is also recorded as the device's ``rating`` event."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.world import KioskSpec
from protocols.serial_frames import LedMode
from simulators.rating_pad import Rating


def _world(
    tmp_path: Path, uid: str, broker_url: str
) -> contextlib.AbstractAsyncContextManager[DemoWorld]:
    """One window PC (receipt printer, call button, rating pad) on a site of this test's own."""
    town = SiteSpec(f"w{uid}", "黄河路街道办事处", SiteLevel.TOWN)
    sites = golmud(town)
    spec = KioskSpec(
        f"window-{uid}", f"qh/hx/golmud/w{uid}", "3号窗口", role="window", full_peripherals=True
    )
    opts = DemoOptions(data_dir=tmp_path, broker_url=broker_url, port=0, kiosks=[spec], sites=sites)
    return running_demo(opts)


async def _call(
    client: httpx.AsyncClient, device: str, peripheral: str, action: str, args: dict[str, Any]
) -> dict[str, Any]:
    """Post the call, then long-poll it until it settles."""
    r = await client.post(
        f"/api/v1/devices/{device}/peripherals/{peripheral}/actions/{action}", json=args
    )
    assert r.status_code == 202, r.text
    r = await client.get(r.headers["location"], params={"wait_s": 20})
    assert r.status_code == 200, r.text
    call: dict[str, Any] = r.json()
    return call


async def test_operator_sets_an_led_and_asks_for_a_rating(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    device = f"window-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url) as world,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        [window] = world.kiosks
        assert window.call_button is not None and window.rating_pad is not None

        call = await _call(client, device, "callbtn", "set_led", {"button": 2, "mode": "blink"})
        assert (call["state"], call["result"]) == ("succeeded", {"button": 2, "mode": "blink"})
        assert window.call_button.leds == {2: LedMode.BLINK}  # the device really got it

        window.rating_pad.script.append(Rating(3, reasons=["slow"]))
        args = {"case_no": "QH-2026-0815", "window": "3号窗口", "staff": "工号 017"}
        call = await _call(client, device, "rating", "request_rating", args)
        rating = {
            "case_no": "QH-2026-0815",
            "code": 3,
            "name": "基本满意",
            "reasons": ["slow"],
            "timed_out": False,
        }
        assert (call["state"], call["result"]) == ("succeeded", rating), call
        [asked] = window.rating_pad.asked
        assert (asked.case, asked.window, asked.staff) == ("QH-2026-0815", "3号窗口", "工号 017")
        r = await client.get(f"/api/v1/devices/{device}")
        events = [e for e in r.json()["events"] if e["kind"] == "rating"]
        assert events and events[0]["peripheral"] == "rating" and events[0]["data"] == rating


async def test_unplugged_call_button_fails_the_call_with_the_drivers_sentence(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    device = f"window-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url) as world,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        [window] = world.kiosks
        assert window.call_button is not None
        window.call_button.unplug()
        call = await _call(client, device, "callbtn", "beep", {})
        assert (call["state"], call["reason"]) == ("failed", "peripheral_error"), call
        assert "call button callbtn" in call["message"]
        assert "agent.toml" in call["message"] or "Plug it back in" in call["message"]
