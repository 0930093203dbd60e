"""The 高龄补贴 services wired to their simulators over real HTTP (the 民政局 and the
face-verification service), an in-process cloud and two kiosks (HHL with a receipt printer);
a synthetic camera for clips; a filled registration form for a citizen of a given age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from cloud.settings import Settings
from protocols.idcard.text import id_check_digit
from simulators.av_source import SyntheticAvSource
from simulators.dept_civil import CivilDepartment
from simulators.face_verify import FaceVerifySim
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device

BEIJING = timezone(timedelta(hours=8))


class SyntheticCamera:
    """The ``av_camera`` as the recorder sees it, on the simulator's frames."""

    kind = "av_camera"

    def __init__(self) -> None:
        self.source = SyntheticAvSource(seed=7)

    async def read(self) -> Any:
        ok, frame = self.source.read()
        assert ok
        return frame


@dataclass
class Env:
    cloud: AccessCloud
    civil: CivilDepartment
    face: FaceVerifySim
    kiosk: httpx.AsyncClient
    other: httpx.AsyncClient


@asynccontextmanager
async def elderly_env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    civil = CivilDepartment(app_id="a", secret="s")
    async with civil, FaceVerifySim() as face:
        settings = Settings(
            data_dir=tmp_path,
            mqtt_url=amqtt_url,
            demo=True,
            kiosk_departments={"civil": {"url": civil.url, "app_id": "a", "secret": "s"}},
            face_verify_url=face.url,
            face_verify_app_id=face.app_id,
            face_verify_secret=SecretStr(face.secret),
        )
        async with access_cloud(settings) as cloud:
            yield Env(
                cloud,
                civil,
                face,
                await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True),
                await kiosk_device(cloud, "kiosk-hhl-2", HHL, printer=False),
            )


def form(years: int, days: int = 0, card: str = "6222021234567890128") -> dict[str, Any]:
    today = datetime.now(BEIJING).date()
    try:
        birth = today.replace(year=today.year - years)
    except ValueError:
        birth = today.replace(year=today.year - years, day=28) + timedelta(days=1)
    birth += timedelta(days=days)
    first17 = f"632801{birth:%Y%m%d}051"
    return {
        "name": "韩德顺",
        "id_number": first17 + id_check_digit(first17),
        "sex": "男",
        "birth": birth.isoformat(),
        "address": "青海省格尔木市河西街道",
        "phone": "13909790123",
        "community": "河西街道",
        "bank": "青海银行",
        "bank_card": card,
        "account_holder": "韩德顺",
        "declare": True,
    }
