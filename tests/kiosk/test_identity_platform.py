"""The identity platform adapter against its simulator: the phone on file, each refusal as a
citizen sentence, and every fault (wrong token, maintenance, no answer in time, malformed
answer, 5xx) as one ``identity_unavailable`` — bounded by the configured timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from cloud.kiosk.identity_platform import IdentityNotOnFile, IdentityPlatform, IdentityUnavailable
from cloud.settings import Settings
from simulators.idcard_reader import SAMPLE_CARDS
from simulators.identity_platform import SAMPLE_PHONES, IdentityPlatformSim

CARD = SAMPLE_CARDS[0]


@pytest.fixture
async def sim() -> AsyncIterator[IdentityPlatformSim]:
    async with IdentityPlatformSim() as s:
        yield s


def _platform(
    sim: IdentityPlatformSim, tmp_path: Path, token: str = "", timeout_s: float = 10.0
) -> IdentityPlatform:
    """The client; ``timeout_s`` is generous (a loaded loop can hold an answer past 0.5 s)
    except where a stall is the case."""
    return IdentityPlatform(
        Settings(
            demo=True,
            data_dir=tmp_path,
            kiosk_identity_url=sim.url,
            kiosk_identity_token=SecretStr(token or sim.token),
            kiosk_identity_timeout_s=timeout_s,
        )
    )


async def test_the_phone_on_file(sim: IdentityPlatformSim, tmp_path: Path) -> None:
    platform = _platform(sim, tmp_path)
    for card, phone in zip(SAMPLE_CARDS, SAMPLE_PHONES, strict=True):
        assert await platform.phone_of(card.id_number, card.name) == phone
    await platform.close()


@pytest.mark.parametrize(
    ("id_number", "name", "says"),
    [
        ("632801199001011233", "张三", "未查到您的实名登记信息"),
        (CARD.id_number, "李四", "不一致"),
        ("632801197001010018", "李建国", "未在平台登记手机号码"),
    ],
)
async def test_refusals_are_citizen_sentences(
    sim: IdentityPlatformSim, tmp_path: Path, id_number: str, name: str, says: str
) -> None:
    platform = _platform(sim, tmp_path)
    with pytest.raises(IdentityNotOnFile) as caught:
        await platform.phone_of(id_number, name)
    assert says in caught.value.citizen[0] and caught.value.status_code == 422
    await platform.close()


async def test_a_wrong_token(sim: IdentityPlatformSim, tmp_path: Path) -> None:
    platform = _platform(sim, tmp_path, token="wrong")
    with pytest.raises(IdentityUnavailable, match="token was refused"):
        await platform.phone_of(CARD.id_number, CARD.name)
    assert sim.requests == [(401, "9001")]
    await platform.close()


async def test_maintenance(sim: IdentityPlatformSim, tmp_path: Path) -> None:
    sim.maintenance_until = datetime.now(UTC) + timedelta(hours=1)
    platform = _platform(sim, tmp_path)
    with pytest.raises(IdentityUnavailable, match="maintenance"):
        await platform.phone_of(CARD.id_number, CARD.name)
    await platform.close()


async def test_no_answer_in_time_is_bounded(sim: IdentityPlatformSim, tmp_path: Path) -> None:
    sim.stall_s = 2
    platform = _platform(sim, tmp_path, timeout_s=0.5)
    async with asyncio.timeout(5):
        with pytest.raises(IdentityUnavailable, match="Timeout"):
            await platform.phone_of(CARD.id_number, CARD.name)
    await platform.close()


@pytest.mark.parametrize("fault", ["malformed", "5xx"])
async def test_a_broken_answer(sim: IdentityPlatformSim, tmp_path: Path, fault: str) -> None:
    if fault == "malformed":
        sim.malformed = True
    else:
        sim.fail_next(1)
    platform = _platform(sim, tmp_path)
    with pytest.raises(IdentityUnavailable) as caught:
        await platform.phone_of(CARD.id_number, CARD.name)
    assert caught.value.citizen[0].startswith("身份核验服务暂时不可用")
    await platform.close()


async def test_not_configured(tmp_path: Path) -> None:
    platform = IdentityPlatform(Settings(demo=True, data_dir=tmp_path))
    assert not platform.configured
    with pytest.raises(IdentityUnavailable, match="not configured"):
        await platform.phone_of(CARD.id_number, CARD.name)
    await platform.close()
