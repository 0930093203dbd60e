"""The demo starts the simulated Alipay gateway and points the cloud at it with keys that work;
``kfleet sim alipay`` runs it by itself and prints the settings; an unset gateway means no
Alipay at the kiosk, and half a configuration is refused at start."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

from cloud.errors import ConfigError
from cloud.kiosk.pay.alipay import AlipayChannel
from cloud.kiosk.pay.channel import ChannelOrder
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.settings import Settings
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from simulators.alipay_gateway import AlipayGatewaySim
from tests.conftest import CLI_PROCESS_S

ORDER = ChannelOrder("K-demo-1", 100, "演示 水费", "http://127.0.0.1:9/notify", 300)


async def test_the_demo_points_the_cloud_at_the_simulated_gateway(tmp_path: Path) -> None:
    platforms = KioskPlatforms()
    async with with_kiosk_platforms(True, {}, platforms) as settings:
        sim = platforms.running["alipay"]
        assert isinstance(sim, AlipayGatewaySim)
        wanted = {k: v for k, v in settings.items() if k.startswith("alipay")}
        channel = CHANNEL_BUILDERS["alipay"](Settings(demo=True, data_dir=tmp_path, **wanted))
        assert isinstance(channel, AlipayChannel)
        try:
            made = await channel.precreate(ORDER)
            assert sim.qr_trade(made.qr_content) is not None
        finally:
            await channel.aclose()


def test_no_gateway_no_alipay_and_half_a_configuration_is_refused(tmp_path: Path) -> None:
    assert CHANNEL_BUILDERS["alipay"](Settings(demo=True, data_dir=tmp_path)) is None
    half = Settings(demo=True, data_dir=tmp_path, alipay_gateway_url="https://x/gateway.do")
    with pytest.raises(ConfigError, match="KFLEET_ALIPAY_APP_ID"):
        CHANNEL_BUILDERS["alipay"](half)
    bad_key = Settings(
        demo=True,
        data_dir=tmp_path,
        alipay_gateway_url="https://x/gateway.do",
        alipay_app_id="2021",
        alipay_app_private_key="bm90IGEga2V5",
        alipay_public_key="bm90IGEga2V5",
    )
    with pytest.raises(ConfigError, match="PRIVATE_KEY") as refused:
        CHANNEL_BUILDERS["alipay"](bad_key)
    assert "bm90IGEga2V5" not in str(refused.value)  # a key's content never in a message


async def test_kfleet_sim_alipay_runs_by_itself_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *["-m", "kfleet", "sim", "alipay", "--port", "0"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(CLI_PROCESS_S):
            env: dict[str, str] = {}
            while "KFLEET_ALIPAY_PUBLIC_KEY" not in env:
                line = (await proc.stdout.readline()).decode()
                assert line, "the simulator ended before printing its settings"
                if found := re.match(r"^KFLEET_(ALIPAY_[A-Z_]+)=(\S+)$", line.strip()):
                    env[found[0].split("=")[0]] = found[2]
            settings = Settings(
                demo=True, data_dir=tmp_path, **{k[7:].lower(): v for k, v in env.items()}
            )
            channel = CHANNEL_BUILDERS["alipay"](settings)
            assert channel is not None
            try:
                made = await channel.precreate(ORDER)
                async with httpx.AsyncClient(trust_env=False) as http:
                    page = await http.post(made.qr_content, data={"action": "confirm"})
                assert "支付成功" in page.text
                assert (await channel.query(ORDER.out_trade_no)).state == "paid"
            finally:
                await channel.aclose()
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            assert await proc.wait() == 0 and "stopped" in out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
