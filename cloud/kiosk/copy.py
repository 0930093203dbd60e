"""自助复印 on the cloud's side: a kiosk asks for a ``copy`` job on **itself** (its document
camera scans the page again and its A4 printer prints it marked "仅供{label}使用"), with the
purpose ``copy`` so the print audit records it; then it follows that job to its end.

Idempotent per kiosk request id (``kiosk-copy:<device>:<id>``): a retry after a lost answer
gets the job already made, never a second copy. A kiosk sees only its own copy jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db.models import Device, Job
from cloud.jobs import JobService
from cloud.kiosk.errors import KioskError
from cloud.schemas import DeviceTarget, JobCreate
from fleet.routing import device_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, FailureReason, JobKind, JobState

log = logging.getLogger(__name__)

#: what the citizen reads when a copy ended without paper, by the job's reason
_FAILED: dict[str, tuple[str, str]] = {
    FailureReason.CAMERA_ERROR.value: (
        "高拍仪未能拍到材料，请将材料平放在高拍仪下后重试。",
        "The document camera could not take the page: lay it flat under the camera and try again.",
    ),
    FailureReason.PAPER_OUT.value: (
        "打印机缺纸，未能复印。请联系工作人员。",
        "The printer is out of paper; nothing was copied. Please ask a member of staff.",
    ),
    FailureReason.WATERMARK_UNAVAILABLE.value: (
        "本机暂不能复印（无法加印用途水印），请到窗口办理。",
        "This kiosk cannot copy now (the purpose mark cannot be drawn): please go to a window.",
    ),
}
_FAILED_OTHER = (
    "复印未完成，请重试或联系工作人员。",
    "The copy did not finish: please try again or ask a member of staff.",
)
_UNCERTAIN = (
    "打印机状态未知，请查看出纸口；如未出纸，请联系工作人员，不要重复复印。",
    "The printer's state is unknown: check the tray; if nothing came out, ask a member of staff.",
)


class NoCopier(KioskError):
    status_code = 409
    code = "no_copier"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this kiosk cannot copy: {why}",
            "本机暂不能复印，请到窗口办理。",
            "This kiosk cannot make copies right now: please go to a window.",
        )


class CopyNotFound(KioskError):
    status_code = 404
    code = "copy_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"no copy job {job_id} of this kiosk",
            "没有找到这次复印。",
            "This copy was not found.",
        )


@dataclass(frozen=True, slots=True)
class CopyState:
    job_id: str
    #: waiting (queued, dispatched, accepted, running), done, failed, uncertain
    state: str
    citizen: tuple[str, str] | None


class CopyService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], jobs: JobService) -> None:
        self._sessions = sessions
        self._jobs = jobs

    async def start(
        self, caller: Principal, label: str, copies: int, lang: str, request_id: str
    ) -> str:
        """The id of the ``copy`` job on the calling kiosk (the same one for a repeated id)."""
        device = caller.name
        key = f"kiosk-copy:{device}:{request_id}"
        async with self._sessions() as s:
            existing = await job_repo.by_idempotency_key(s, key)
            if existing is not None:
                return existing.id
            await _check_copier(s, device)
        req = JobCreate(
            kind=JobKind.COPY,
            target=DeviceTarget(device_id=device),
            params={"purpose": label, "copies": copies, "mode": "document", "lang": lang},
            idempotency_key=key,
            purpose="copy",
        )
        job, _ = await self._jobs.create(req, caller)
        log.info("self-copy on %s (job %s, %d copies)", device, job.id, copies)
        return job.id

    async def state(self, caller: Principal, job_id: str) -> CopyState:
        async with self._sessions() as s:
            job = await s.get(Job, job_id)
        if job is None or job.kind != JobKind.COPY or job.target_device_id != caller.name:
            raise CopyNotFound(job_id)
        state = JobState(job.state)
        if state is JobState.SUCCEEDED:
            return CopyState(job.id, "done", None)
        if state is JobState.UNCERTAIN:
            return CopyState(job.id, "uncertain", _UNCERTAIN)
        if state in (JobState.FAILED, JobState.CANCELED, JobState.EXPIRED):
            return CopyState(job.id, "failed", _FAILED.get(job.reason, _FAILED_OTHER))
        return CopyState(job.id, "waiting", None)


async def _check_copier(s: AsyncSession, device_id: str) -> None:
    device = await s.get(Device, device_id)
    if device is None:
        raise NoCopier(f"device {device_id} is not registered")
    kind = JobKind.COPY
    why = device_target_refusal(
        device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
    )
    if why:
        raise NoCopier(why)
