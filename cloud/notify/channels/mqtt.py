"""The MQTT channel: the notice as JSON, published on the cloud's own broker connection.

Topic ``kf/v1/notify/...`` (the only notification topics the cloud's broker identity may
publish to, docs/broker-acl.md); QoS 1 waits for the broker's PUBACK, so a send succeeds only
when the broker has the message.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from cloud.errors import BusUnavailable
from cloud.notify.channels.base import TemporaryFailure
from cloud.notify.config import MqttConfig

#: publishes (topic, payload, qos, retain) and returns when the broker has it
Publish = Callable[[str, bytes, int, bool], Awaitable[None]]


class MqttChannel:
    kind = "mqtt"

    def __init__(self, config: MqttConfig, publish: Publish) -> None:
        self._config = config
        self._publish = publish

    @property
    def name(self) -> str:
        return self._config.name

    async def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            await self._publish(self._config.topic, body, self._config.qos, self._config.retain)
        except BusUnavailable as err:
            raise TemporaryFailure(str(err)) from None
