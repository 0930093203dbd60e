"""The MQTT link room: session (birth/will/bd_seq, reconnect), durable outbox, publisher.

``MqttLink`` keeps one session alive; ``async for cmd in link.commands()`` yields each
inbound command decoded once (:mod:`edge_agent.link.commands`).
"""

from edge_agent.link.reconnect import (
    MIN_WINDOW_OF_CAP,
    backoff_delay,
    backoff_window,
    next_bd_seq,
)
from edge_agent.link.session import MqttLink

__all__ = ["MIN_WINDOW_OF_CAP", "MqttLink", "backoff_delay", "backoff_window", "next_bd_seq"]
