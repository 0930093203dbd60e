"""``peripheral.call`` at the agent, with raw commands on a real broker and the simulated
window peripherals: bad calls are rejected with a reason, a redelivered call is answered
again but not performed twice, and a call the pad cannot take fails with the driver's words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt

from kfleet.world.world import KioskSpec, RunningKiosk, running_world
from protocols.envelope import Envelope, MsgType, Sender, decode, encode
from protocols.jobs import AckState
from protocols.messages import PeripheralCall
from protocols.mqtt_url import parse_mqtt_url

TIMEOUT = 15.0


class Console:
    """Sends calls to one device and reads its acks, like the cloud would."""

    def __init__(self, client: aiomqtt.Client, dev: str) -> None:
        self.client, self.dev = client, dev
        self.sender = Sender("cloud-test")
        self.acks: asyncio.Queue[Envelope[Any]] = asyncio.Queue()

    async def pump(self) -> None:
        async for msg in self.client.messages:
            if str(msg.topic) == f"kf/v1/dev/{self.dev}/ack" and isinstance(msg.payload, bytes):
                self.acks.put_nowait(decode(msg.payload))

    async def call(self, call_id: str, peripheral: str, action: str, **args: Any) -> str:
        body = PeripheralCall(call_id=call_id, peripheral=peripheral, action=action, args=args)
        env = self.sender.envelope(MsgType.CMD, body)
        await self.client.publish(f"kf/v1/dev/{self.dev}/cmd", encode(env), qos=1)
        return env.id

    async def answer(self, call_id: str) -> Envelope[Any]:
        """The next settled answer (not ``running``) to ``call_id``."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                env = await self.acks.get()
                if env.body.job_id == call_id and env.body.state is not AckState.RUNNING:
                    return env


@asynccontextmanager
async def window(url: str, uid: str, tmp_path: Path) -> AsyncIterator[tuple[RunningKiosk, Console]]:
    dev = f"window-{uid}"
    spec = KioskSpec(dev, "qh/hx/golmud/hhl", "3号窗口", role="window", full_peripherals=True)
    ep = parse_mqtt_url(url)
    async with (
        running_world([spec], url, tmp_path, connect_timeout_s=TIMEOUT) as world,
        aiomqtt.Client(ep.host, ep.port, identifier=f"console-{uid}") as client,
    ):
        await client.subscribe(f"kf/v1/dev/{dev}/ack", qos=1)
        console = Console(client, dev)
        pump = asyncio.create_task(console.pump())
        try:
            yield world[0], console
        finally:
            await client.unsubscribe(f"kf/v1/dev/{dev}/ack")
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


async def test_bad_calls_are_rejected_with_a_reason(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    async with window(mosquitto_url, uid, tmp_path) as (_, console):
        await console.call("call-1", "ghost", "beep")
        await console.call("call-2", "callbtn", "explode")
        await console.call("call-3", "callbtn", "set_led", button=0, mode="on", colour="red")
        answers = [(await console.answer(f"call-{i}")).body for i in (1, 2, 3)]
    assert [(a.state, a.reason) for a in answers] == [
        (AckState.REJECTED, "no_peripheral"),
        (AckState.REJECTED, "unknown_action"),
        (AckState.REJECTED, "bad_params"),
    ]
    assert answers[0].message == "no peripheral 'ghost' (known: callbtn, rating, receipt)"
    assert answers[1].message == "a call_button has no action 'explode' (it offers: beep, set_led)"
    assert "button: Input should be greater than or equal to 1" in answers[2].message
    assert "colour: Extra inputs are not permitted" in answers[2].message


async def test_a_redelivered_call_is_answered_again_but_done_once(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    async with window(mosquitto_url, uid, tmp_path) as (win, console):
        assert win.call_button is not None
        first = await console.call("call-beep", "callbtn", "beep", count=3)
        ack = await console.answer("call-beep")
        assert (ack.body.state, ack.corr, ack.body.result) == (
            AckState.SUCCEEDED,
            first,
            {"ms": 150, "count": 3},
        )
        again = await console.call("call-beep", "callbtn", "beep", count=3)
        ack = await console.answer("call-beep")
        assert (ack.body.state, ack.corr) == (AckState.SUCCEEDED, again)
        assert win.call_button.beeps == 3  # not 6


async def test_unanswered_rating_request_runs_then_times_out(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    """Nobody rates: the pad's own timeout ends the call with ``timed_out``, and the call was
    reported ``running`` while the pad waited."""
    async with window(mosquitto_url, uid, tmp_path) as (win, console):
        assert win.rating_pad is not None
        await console.call(
            "call-r", "rating", "request_rating", case_no="C-9", window="3号窗口", timeout_s=1
        )
        async with asyncio.timeout(TIMEOUT):
            running = await console.acks.get()
        assert (running.body.job_id, running.body.state) == ("call-r", AckState.RUNNING)
        ack = await console.answer("call-r")
    assert ack.body.state is AckState.SUCCEEDED
    assert ack.body.result == {"case_no": "C-9", "name": "", "reasons": [], "timed_out": True}
