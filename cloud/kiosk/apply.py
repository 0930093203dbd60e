"""Self-service applications (自助申报) from a kiosk: the scanned material pages arrive as blobs
under the device's identity, then the application names them; it is checked against the
published catalogue (situations answered, every required material scanned) and the item's
e-form (:func:`cloud.kiosk.forms_seed.current_form`, one validation everywhere), filed with the
city 政务服务平台 with its pages, and a receipt with the case number and a QR is printed on the
calling kiosk (purpose ``application``).

Idempotent per kiosk request id: the platform's ``bizSerialNo`` is ``<device>:<request id>``
and the receipt job's idempotency key ``kiosk-apply:<device>:<request id>``, so a retry after
a lost answer files nothing twice and prints nothing twice. Nothing personal is logged: item
codes, case numbers, counts and outcomes only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobInfo, BlobStore
from cloud.db.models import Site, utcnow
from cloud.errors import CloudError
from cloud.jobs import JobService
from cloud.kiosk import apply_platform
from cloud.kiosk.apply_errors import (
    ApplicationIncomplete,
    ApplyNotConfigured,
    ApplyRefused,
    FormChanged,
    FormInvalid,
    MaterialMissing,
    MaterialRefused,
)
from cloud.kiosk.apply_forms import GENERAL_CODE
from cloud.kiosk.apply_receipt import ReceiptFacts, apply_receipt
from cloud.kiosk.apply_uploads import PageUploads
from cloud.kiosk.city_platform import CityPlatform
from cloud.kiosk.city_platform_errors import CaseRefused, IdNumberInvalid
from cloud.kiosk.forms_seed import current_form
from cloud.kiosk.guide_current import department_name, published_item
from cloud.schemas import DeviceTarget, JobCreate
from cloud.settings import Settings
from protocols.eform import FormDef
from protocols.eform_check import form_problems
from protocols.guide import Item
from protocols.guide_situation import Applicable, applicable
from protocols.idcard.text import id_number_problem
from protocols.jobs import JobKind

log = logging.getLogger(__name__)

#: how long an uploaded page may wait for its application (the kiosk uploads just before)
UPLOAD_TTL_S = 3600.0
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"%PDF-": "application/pdf", b"\x89PNG": "image/png"}


@dataclass(frozen=True)
class MaterialPages:
    code: str
    pages: list[str]  # sha256 of each page, in order


@dataclass(frozen=True)
class ApplicationRequest:
    request_id: str
    item: str
    answers: dict[str, str]
    id_number: str
    name: str
    form_code: str
    form_version: int
    form_data: dict[str, Any]
    materials: list[MaterialPages]


@dataclass(frozen=True)
class Submitted:
    case_no: str
    accepted_at: str
    follow_url: str
    #: the receipt's ``print_receipt`` job, or None when this kiosk cannot print now
    job_id: str | None
    #: the citizen's sentences when the receipt could not be printed (zh, en)
    print_problem: tuple[str, str] | None


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def media_type_of(head: bytes) -> str | None:
    return next((m for magic, m in _MAGIC.items() if head.startswith(magic)), None)


class ApplyService:
    def __init__(
        self,
        kiosk: Any,
        platform: CityPlatform | None,
        blobs: BlobStore,
        jobs: JobService,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._kiosk = kiosk
        self.platform = platform
        self._blobs = blobs
        self._jobs = jobs
        self._sessions = sessions
        self._clock = clock
        #: which kiosk uploaded each page (any cloud worker's): a device files only its own
        self._uploads = PageUploads(sessions, UPLOAD_TTL_S)
        self._done: dict[tuple[str, str], Submitted] = {}
        self._lock = asyncio.Lock()

    @classmethod
    def of(
        cls,
        kiosk: Any,
        settings: Settings,
        jobs: JobService,
        sessions: async_sessionmaker[AsyncSession],
    ) -> ApplyService:
        """On the case API's client (one signed client per platform, closed with it)."""
        platform = kiosk.cases.platform if kiosk.cases is not None else None
        blobs = BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes)
        return cls(kiosk, platform, blobs, jobs, sessions)

    async def form_for(self, item_code: str, answers: dict[str, str]) -> FormDef:
        """The e-form the citizen fills for the item in this situation."""
        _, item = await published_item(self._kiosk, item_code)
        return await self._form(applicable(item, answers))

    async def _form(self, situation: Applicable) -> FormDef:
        for f in situation.forms:
            form = await current_form(self._kiosk, f.template or f.code)
            if form is not None:
                return form
        general = await current_form(self._kiosk, GENERAL_CODE)
        assert general is not None, "apply-general is shipped in SEED_FORMS"
        return general

    async def store_page(self, caller: Principal, sha256: str, content: bytes) -> BlobInfo:
        """Keep one scanned page (JPEG, PNG or PDF) sent by ``caller``."""
        if media_type_of(content[:8]) is None:
            raise MaterialRefused("a material page must be a JPEG, PNG or PDF file")
        info = await self._blobs.put(sha256, _once(content))
        stale = await self._uploads.record(sha256, caller.name)
        await self._forget_pages(stale)  # uploaded and never filed: not kept
        return info

    async def uploaded_by(self, sha256: str) -> str | None:
        """The device that uploaded this page (and has not filed it yet), else None: a help
        call's material review (issue 16) shows an operator only the calling kiosk's pages."""
        return await self._uploads.owner(sha256)

    def page_path(self, sha256: str) -> Path:
        """The stored page (``NotFound`` if it is gone)."""
        return self._blobs.locate(sha256)

    async def _forget_pages(self, pages: list[str]) -> None:
        """Delete pages the cloud no longer needs (filed with the platform, or abandoned): a
        scan of an ID card is not kept a minute longer than it must be."""
        await self._uploads.forget(pages)
        for sha in pages:
            await asyncio.to_thread(self._blobs.path_of(sha).unlink, missing_ok=True)

    async def submit(self, caller: Principal, req: ApplicationRequest) -> Submitted:
        if self.platform is None:
            raise ApplyNotConfigured()
        key = (caller.name, req.request_id)
        async with self._lock:  # one kiosk pressing twice files once
            if key in self._done:
                return self._done[key]
            catalogue, item = await published_item(self._kiosk, req.item)
            situation = applicable(item, req.answers)
            self._check_complete(item, situation, req.materials)
            form = await self._check_form(situation, req)
            files = await self._upload_pages(caller.name, situation, req.materials)
            hall, dept = await self._site_name(caller), department_name(catalogue, item.department)
            application: dict[str, Any] = {
                "bizSerialNo": f"{caller.name}:{req.request_id}",
                "itemCode": item.code,
                "itemName": item.name,
                "deptName": dept,
                "hallName": hall,
                "certNo": req.id_number,
                "applicantName": req.name,
                "formCode": form.code,
                "formVersion": form.version,
                "formData": req.form_data,
            }
            try:
                filed = await apply_platform.submit(self.platform, application, files)
            except CaseRefused as err:
                raise ApplyRefused(err.reason, str(err)) from err
            log.info(
                "application %s for item %s from %s: %d material(s), %d page(s)%s",
                filed.case_no,
                item.code,
                caller.name,
                len(files),
                sum(len(f.file_ids) for f in files),
                " (repeat)" if filed.repeated else "",
            )
            pages = [(f.name, len(f.file_ids)) for f in files]
            facts = ReceiptFacts(
                hall,
                filed.case_no,
                item.name,
                dept,
                req.name,
                req.id_number,
                pages,
                filed.query_url,
                self._clock(),
            )
            done = await self._print(caller, req.request_id, facts, filed)
            self._done[key] = done
            await self._forget_pages([sha for m in req.materials for sha in m.pages])
            return done

    def _check_complete(
        self, item: Item, situation: Applicable, materials: list[MaterialPages]
    ) -> None:
        if situation.unanswered:
            raise ApplicationIncomplete(
                f"item {item.code}: questions {situation.unanswered} are not answered",
                "请先回答全部办理情形问题。",
                "Please answer every question about your situation first.",
            )
        asked = {m.code: m for m in situation.materials}
        extra = [m.code for m in materials if m.code not in asked]
        if extra:
            raise ApplicationIncomplete(
                f"item {item.code} does not ask for materials {extra} in this situation",
                "材料清单已变化，请返回材料清单重新核对。",
                "The list of materials has changed: please go back and check it.",
            )
        given = {m.code for m in materials if m.pages}
        missing = [m for m in situation.materials if m.required and m.code not in given]
        if missing:
            raise ApplicationIncomplete(
                f"item {item.code}: required materials {[m.code for m in missing]} have no page",
                f"还有必交材料未扫描：{'、'.join(m.name for m in missing)}。",
                "Some required materials are not scanned yet: "
                + ", ".join(m.name_en or m.name for m in missing)
                + ".",
            )

    async def _check_form(self, situation: Applicable, req: ApplicationRequest) -> FormDef:
        if (why := id_number_problem(req.id_number)) is not None:
            raise IdNumberInvalid("the applicant's ID number fails its check digit", *why)
        form = await self._form(situation)
        if form.code != req.form_code or form.version != req.form_version:
            raise FormChanged(form.code, req.form_version, form.version)
        problems = form_problems(form, req.form_data)
        if problems:
            raise FormInvalid(problems)
        return form

    async def _upload_pages(
        self, device: str, situation: Applicable, materials: list[MaterialPages]
    ) -> list[apply_platform.MaterialFiles]:
        assert self.platform is not None
        names = {m.code: m.name for m in situation.materials}
        out: list[apply_platform.MaterialFiles] = []
        for m in (m for m in materials if m.pages):
            ids: list[str] = []
            for n, sha in enumerate(m.pages, 1):
                if await self._uploads.owner(sha) != device:
                    raise MaterialMissing(f"page {sha[:12]}… was not uploaded by {device}")
                try:
                    content = await asyncio.to_thread(self._blobs.locate(sha).read_bytes)
                except CloudError as err:
                    raise MaterialMissing(f"page {sha[:12]}… is not stored") from err
                media = media_type_of(content[:8]) or "application/octet-stream"
                ext = {"image/jpeg": "jpg", "image/png": "png"}.get(media, "pdf")
                name = f"{m.code}-{n}.{ext}"
                ids.append(await apply_platform.upload_file(self.platform, name, media, content))
            out.append(apply_platform.MaterialFiles(m.code, names[m.code], ids))
        return out

    async def _site_name(self, caller: Principal) -> str:
        async with self._sessions() as s:
            site = await s.scalar(select(Site).where(Site.path == (caller.device_site or "")))
        return site.name if site is not None else ""

    async def _print(
        self, caller: Principal, request_id: str, facts: ReceiptFacts, filed: Any
    ) -> Submitted:
        """The receipt on the calling kiosk; the application stands whatever the printer."""
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=caller.name),
            params=apply_receipt(facts, self._clock()).model_dump(mode="json", exclude_none=True),
            idempotency_key=f"kiosk-apply:{caller.name}:{request_id}",
            purpose="application",
        )
        job_id: str | None = None
        problem: tuple[str, str] | None = None
        try:
            job, _ = await self._jobs.create(req, caller)
            job_id = job.id
        except CloudError as err:
            log.warning("application %s: receipt not printed: %s", filed.case_no, err)
            problem = (
                f"申报已提交，但回执暂时无法打印。请记下办件编号：{filed.case_no}。",
                f"Your application was submitted, but the receipt cannot be printed now. "
                f"Please note the case number: {filed.case_no}.",
            )
        return Submitted(filed.case_no, filed.accept_time, filed.query_url, job_id, problem)
