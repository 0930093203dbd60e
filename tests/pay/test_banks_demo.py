"""The demo's KIOSK_PLATFORMS start both bank gateways, and the settings they yield build
working channels (the browser tests and the demo pay through them)."""

from __future__ import annotations

from cloud.kiosk.pay.channel import ChannelOrder
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.settings import Settings
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from tests.pay.bank_kit import phone


async def test_the_demo_starts_both_gateways_and_their_channels_work() -> None:
    platforms = KioskPlatforms()
    async with with_kiosk_platforms(True, {}, platforms) as values:
        settings = Settings(**{k: v for k, v in values.items() if k.startswith(("icbc", "ccb"))})
        for bank in ("icbc", "ccb"):
            channel = CHANNEL_BUILDERS[bank](settings)
            assert channel is not None, bank
            order = ChannelOrder(f"KFDEMO{bank}", 250, "demo", "http://127.0.0.1:9/n", 60)
            pre = await channel.precreate(order)
            assert "支付成功" in await phone(pre.qr_content, "confirm")
            assert (await channel.query(order.out_trade_no)).state == "paid"
            await channel.aclose()
        assert {"icbc", "ccb"} <= set(platforms.running)
