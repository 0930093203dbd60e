"""The MQTT client both sides use: aiomqtt's, with a connection closed before CONNACK failing
the connect at once.

aiomqtt 2.5 ignores a disconnect that comes before CONNACK (its ``_on_disconnect`` returns
early so that no exception goes unretrieved), so a broker or load balancer that accepts the
TCP connection and then resets it (a full broker, ``max_connections``, a restarting node)
left the connect waiting its whole timeout — 10 s of a device offline for nothing — and then
reported "Operation timed out", hiding the cause. Here the pending connect fails with the
reason, and the caller's reconnect backoff takes over.
"""

from __future__ import annotations

from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

CLOSED_BEFORE_CONNACK = "the broker closed the connection before answering CONNECT (CONNACK)"


class Client(aiomqtt.Client):
    """:class:`aiomqtt.Client` whose connect fails at once when the connection is closed
    before CONNACK."""

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None = None,
    ) -> None:
        if not self._connected.done():
            self._connected.set_exception(
                aiomqtt.MqttError(f"{CLOSED_BEFORE_CONNACK} ({reason_code})")
            )
            return
        super()._on_disconnect(client, userdata, flags, reason_code, properties)
