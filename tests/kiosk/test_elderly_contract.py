"""The 高龄补贴 adapters against their simulators, over real HTTP on loopback: the
face-verification adapter (each verdict, a timeout, a refused signature, maintenance, a
malformed answer, a clip that is no video) and the 民政局's registration and certification
operations (accepted, and each refusal in the bureau's own code). The clip is recorded by the
kiosk's recorder from the synthetic camera, as on a kiosk."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import SecretStr

from cloud.kiosk.departments import civil
from cloud.kiosk.departments.base import DepartmentRefused, Person
from cloud.kiosk.face_verify import (
    FaceClipRejected,
    FaceVerifyFailed,
    FaceVerifyNotConfigured,
    FaceVerifyTimeout,
    FaceVerifyUnavailable,
    HttpFaceVerifier,
)
from cloud.settings_elderly import ElderlySettings
from cloud.settings_kiosk import DepartmentEndpoint
from edge_agent.kiosk import elderly_clip
from protocols.idcard.text import id_check_digit
from simulators.dept_civil import CivilDepartment
from simulators.dept_people import LI_GUIYING, WANG_XIAOMING
from simulators.face_verify import FaceVerifySim
from tests.kiosk.elderly_kit import SyntheticCamera

BEIJING = timezone(timedelta(hours=8))
LI = Person(LI_GUIYING.id_number, LI_GUIYING.name)
ACTIONS = ["blink", "left", "mouth"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    import asyncio

    path = tmp_path_factory.mktemp("clip") / "face.avi"
    frames = asyncio.run(elderly_clip.record(SyntheticCamera(), 1.2, path))
    assert frames == 6
    return path.read_bytes()


@pytest.fixture
async def sim() -> AsyncIterator[FaceVerifySim]:
    async with FaceVerifySim() as s:
        yield s


def verifier(sim: FaceVerifySim, **over: Any) -> HttpFaceVerifier:
    settings = ElderlySettings(
        face_verify_url=sim.url,
        face_verify_app_id=sim.app_id,
        face_verify_secret=SecretStr(sim.secret),
        face_verify_timeout_s=over.pop("timeout_s", 5.0),
        **over,
    )
    return HttpFaceVerifier(settings)


@pytest.mark.parametrize("verdict", ["pass", "mismatch", "not_live"])
async def test_each_verdict(sim: FaceVerifySim, clip: bytes, verdict: Any) -> None:
    sim.verdicts[LI.id_number] = verdict
    v = verifier(sim)
    try:
        answer = await v.verify(LI.id_number, LI.name, clip, ACTIONS)
    finally:
        await v.close()
    assert answer.verdict == verdict
    [got] = sim.received
    assert (got.id_number, got.actions, got.frames) == (LI.id_number, ACTIONS, 6)


async def test_no_answer_in_time_is_a_timeout(sim: FaceVerifySim, clip: bytes) -> None:
    sim.stall_s = 10.0
    v = verifier(sim, timeout_s=0.5)
    with pytest.raises(FaceVerifyTimeout) as err:
        await v.verify(LI.id_number, LI.name, clip, ACTIONS)
    await v.close()
    assert "超时" in err.value.citizen[0]


async def test_a_wrong_secret_is_refused_as_a_configuration_matter(
    sim: FaceVerifySim, clip: bytes
) -> None:
    v = HttpFaceVerifier(
        ElderlySettings(
            face_verify_url=sim.url,
            face_verify_app_id=sim.app_id,
            face_verify_secret=SecretStr("not-the-secret"),
        )
    )
    with pytest.raises(FaceVerifyFailed, match="SignatureFailure"):
        await v.verify(LI.id_number, LI.name, clip, ACTIONS)
    await v.close()
    assert sim.received == []


async def test_maintenance_malformed_and_no_video(sim: FaceVerifySim, clip: bytes) -> None:
    v = verifier(sim)
    sim.maintenance = True
    with pytest.raises(FaceVerifyUnavailable):
        await v.verify(LI.id_number, LI.name, clip, ACTIONS)
    sim.maintenance, sim.malformed = False, True
    with pytest.raises(FaceVerifyFailed):
        await v.verify(LI.id_number, LI.name, clip, ACTIONS)
    sim.malformed = False
    with pytest.raises(FaceClipRejected):
        await v.verify(LI.id_number, LI.name, b"not a video at all", ACTIONS)
    await v.close()


async def test_not_configured_says_so() -> None:
    v = HttpFaceVerifier(ElderlySettings())
    with pytest.raises(FaceVerifyNotConfigured):
        await v.verify(LI.id_number, LI.name, b"x", ACTIONS)


# --- the 民政局 -------------------------------------------------------------------------


@pytest.fixture
async def bureau() -> AsyncIterator[tuple[CivilDepartment, civil.Civil]]:
    dept = CivilDepartment(app_id="a", secret="s", allowance=_book())
    async with dept:
        endpoint = DepartmentEndpoint(url=dept.url, app_id="a", secret=SecretStr("s"))
        adapter = civil.build(endpoint)
        try:
            yield dept, adapter
        finally:
            await adapter.close()


def _book() -> Any:
    from simulators.dept_civil_allowance import AllowanceBook

    return AllowanceBook(paid={LI_GUIYING.id_number})


def _aged(years: int, days: int = 0) -> Person:
    """Born ``years`` ago today (Beijing), plus ``days``: (70, 1) is 69, 70 tomorrow."""
    today = datetime.now(BEIJING).date()
    try:
        birth = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birth = date(today.year - years, 3, 1)
    birth += timedelta(days=days)
    first17 = f"632801{birth:%Y%m%d}051"
    return Person(first17 + id_check_digit(first17), "韩德顺")


def _form(p: Person, card: str = "6222021234567890128") -> dict[str, str]:
    return {
        "sex": "男",
        "birth": f"{p.id_number[6:10]}-{p.id_number[10:12]}-{p.id_number[12:14]}",
        "address": "青海省格尔木市",
        "phone": "13909790123",
        "community": "河西街道",
        "bank": "青海银行",
        "bank_card": card,
        "channel": "自助终端",
    }


async def test_register_then_certify(bureau: tuple[CivilDepartment, civil.Civil]) -> None:
    dept, adapter = bureau
    p = _aged(75)
    done = await adapter.query("allowance_register", p, _form(p), 1, 1)
    [row] = done.rows
    assert row["application_no"].startswith("GLBT") and row["tier"] == "70-79周岁"
    assert dept.allowance.applications[p.id_number]["yhkh"] == "6222021234567890128"
    inputs = {"result": "通过", "method": "人脸核验", "device": "k1"}
    cert = await adapter.query("allowance_certify", p, inputs, 1, 1)
    assert cert.rows[0]["certification_no"].startswith("GLRZ") and cert.rows[0]["next_due"]


# the ages are reckoned as the test runs, not as the suite is collected: a run that passed
# midnight in Beijing between the two found "70 tomorrow" already 70
@pytest.mark.parametrize(
    ("person", "card", "code"),
    [
        (functools.partial(_aged, 70, days=1), "6222021234567890128", "4093"),
        (functools.partial(_aged, 80), "6222021234567890127", "4094"),
        (lambda: LI, "6222021234567890128", "4092"),
    ],
)
async def test_registration_refusals(
    bureau: tuple[CivilDepartment, civil.Civil],
    person: Callable[[], Person],
    card: str,
    code: str,
) -> None:
    _, adapter = bureau
    who = person()
    with pytest.raises(DepartmentRefused) as err:
        await adapter.query("allowance_register", who, _form(who, card), 1, 1)
    assert err.value.reason == code and err.value.citizen[0]


async def test_certifying_someone_not_registered_is_refused(
    bureau: tuple[CivilDepartment, civil.Civil],
) -> None:
    _, adapter = bureau
    wang = Person(WANG_XIAOMING.id_number, WANG_XIAOMING.name)
    inputs = {"result": "通过", "method": "人脸核验", "device": "k1"}
    with pytest.raises(DepartmentRefused) as err:
        await adapter.query("allowance_certify", wang, inputs, 1, 1)
    assert err.value.reason == "4095"
