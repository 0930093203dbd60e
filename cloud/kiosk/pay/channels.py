"""The payment channels the cloud can offer: one builder per channel (a channel's module adds
its line). A builder returns None when its settings are empty: the kiosk does not offer it."""

from __future__ import annotations

from cloud.kiosk.pay.alipay import build_alipay
from cloud.kiosk.pay.channel import ChannelBuilder, ChannelName

CHANNEL_BUILDERS: dict[ChannelName, ChannelBuilder] = {}
CHANNEL_BUILDERS["alipay"] = build_alipay


def _register_banks() -> None:
    """ICBC and CCB (docs/pay-banks.md)."""
    from cloud.kiosk.pay.ccb import build_ccb
    from cloud.kiosk.pay.icbc import build_icbc

    CHANNEL_BUILDERS["icbc"] = build_icbc
    CHANNEL_BUILDERS["ccb"] = build_ccb


_register_banks()
