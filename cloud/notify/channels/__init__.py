"""Channels behind one interface (:class:`~cloud.notify.channels.base.Channel`)."""

from __future__ import annotations

import httpx

from cloud.notify.channels.base import Channel
from cloud.notify.channels.mqtt import MqttChannel, Publish
from cloud.notify.channels.sms import SmsChannel
from cloud.notify.channels.webhook import WebhookChannel
from cloud.notify.config import ChannelConfig, MqttConfig, SmsConfig, WebhookConfig


def build_channel(config: ChannelConfig, http: httpx.AsyncClient, publish: Publish) -> Channel:
    """The channel ``config`` describes."""
    if isinstance(config, WebhookConfig):
        return WebhookChannel(config, http)
    if isinstance(config, MqttConfig):
        return MqttChannel(config, publish)
    assert isinstance(config, SmsConfig)
    return SmsChannel(config, http)


__all__ = ["Channel", "build_channel"]
