"""The reconnect storm's broker side: a Mosquitto that can be killed and restarted on the same
port, and the subscriber that counts every QoS 1 event the fleet sends through it."""

from __future__ import annotations

import asyncio
import getpass
import json
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from kfleet.world.net import free_port
from protocols.topics import DeviceChannel


class Broker:
    """A Mosquitto on a fixed loopback port that can be killed and started again."""

    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            sys.exit("mosquitto is not installed: apt-get install mosquitto")
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        # Persistence (saved every second) keeps the subscriber's session and the QoS 1
        # messages queued for it across a restart, even after SIGKILL. Started as root,
        # mosquitto would switch to the user "mosquitto" and fail to write the file.
        self.db = tmp / "mosquitto.db"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n"
            f"persistence true\npersistence_location {tmp}/\nautosave_interval 1\n"
            f"user {getpass.getuser()}\n"
            "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n"
            "log_dest none\n"
        )
        self.binary = binary
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(self.binary, "-c", str(self.conf))
        deadline = time.monotonic() + 15
        while True:  # polling a port another process opens: there is no event to await
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if time.monotonic() > deadline or self.proc.returncode is not None:
                    raise SystemExit("mosquitto did not start") from None
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return

    async def kill(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        async with asyncio.timeout(30):
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self.kill(signal.SIGTERM)


class Tally:
    """The subscriber: a persistent session on every device's ``evt`` topic.

    Plain paho in its own thread, not aiomqtt: aiomqtt drops the messages still in its queue
    when the connection drops, after paho has acknowledged them, which would count as loss.
    paho acknowledges a QoS 1 message only after ``on_message`` returned.
    """

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        self.seen: Counter[tuple[str, int]] = Counter()
        self.changed = asyncio.Event()
        self.subscribed = threading.Event()
        self._loop = loop
        self._lock = threading.Lock()
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="storm-counter", clean_session=False
        )
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_: self.subscribed.set()
        client.on_message = self._on_message
        client.reconnect_delay_set(1, 1)
        client.connect("127.0.0.1", port)
        client.loop_start()
        self._client = client

    def _on_connect(self, client: paho.Client, *_: object) -> None:
        client.subscribe(f"kf/v1/dev/+/{DeviceChannel.EVT.value}", qos=1)

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        env = json.loads(message.payload)
        with self._lock:
            self.seen[(env["src"], env["body"]["data"]["n"])] += 1
        self._loop.call_soon_threadsafe(self.changed.set)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def received(self) -> int:
        with self._lock:
            return sum(self.seen.values())
