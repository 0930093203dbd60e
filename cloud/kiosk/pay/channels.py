"""The payment channels the cloud can offer: one builder per channel (a channel's module adds
its line). A builder returns None when its settings are empty: the kiosk does not offer it."""

from __future__ import annotations

from cloud.kiosk.pay.alipay import build_alipay
from cloud.kiosk.pay.channel import ChannelBuilder, ChannelName

CHANNEL_BUILDERS: dict[ChannelName, ChannelBuilder] = {}
CHANNEL_BUILDERS["alipay"] = build_alipay
