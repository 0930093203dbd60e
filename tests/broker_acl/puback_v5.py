"""The MQTT 5 PUBACK reason code of one QoS 1 publish (aiomqtt does not expose it)."""

from __future__ import annotations

import asyncio
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from tests.broker_acl.dynsec_broker import DynsecBroker

WAIT_S = 10.0


def _puback(broker: DynsecBroker, username: str, password: str, topic: str) -> int:
    done = threading.Event()
    codes: list[int] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)

    def on_publish(_c: mqtt.Client, _u: object, _mid: int, rc: ReasonCode, _p: object) -> None:
        codes.append(rc.value)
        done.set()

    client.on_publish = on_publish
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(topic, b"x", qos=1)
        if not done.wait(WAIT_S):
            raise AssertionError(f"no PUBACK for {topic} within {WAIT_S} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return codes[0]


async def puback_code(broker: DynsecBroker, username: str, password: str, topic: str) -> int:
    """Publish once at QoS 1 over MQTT 5 and return the broker's PUBACK reason code."""
    return await asyncio.to_thread(_puback, broker, username, password, topic)
