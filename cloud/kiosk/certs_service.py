"""Issuing a certificate at a kiosk (docs/kiosk-certificates.md): the citizen's identity is
checked (ID card + one-time code), the department answers the facts, the cloud numbers the
certificate, draws the A4 PDF (watermark, a QR code to the public verification page sealed
with ``cloud.link_signing``), prints it on **the calling kiosk** (purpose ``certificate``),
records it, and reports it to the 电子证照库 — at once, or by the retry loop when the library
is down (the citizen never waits for it).

Idempotent per kiosk request id: the same id again answers the certificate already issued and
prints nothing more. Logs name the kind, the number and the outcome, never the holder.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.db.models import utcnow
from cloud.errors import CloudError
from cloud.hall.ticket_token import HALL_TZ
from cloud.jobs import JobService
from cloud.kiosk.certs_common import (
    CertNotPrinted,
    Departments,
    RequestReused,
    UnknownCertificate,
    Who,
)
from cloud.kiosk.certs_decl import BY_KIND, CertDecl
from cloud.kiosk.certs_pdf import CertPaper, cert_pdf
from cloud.kiosk.certs_printer import a4_site_name
from cloud.kiosk.certs_tables import KioskCertificate
from cloud.kiosk.departments.base import Person
from cloud.kiosk.license_library import LicenseLibrary, Reported
from cloud.kiosk.print_on_caller import store_pdf
from cloud.kiosk.queries_masking import mask_value
from cloud.link_signing import LinkSigner
from cloud.schemas import DeviceTarget, JobCreate
from protocols.jobs import JobKind

log = logging.getLogger(__name__)
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed from paper
NUMBER_PATTERN = r"^ZM[0-9]{8}-[2-9A-HJ-NP-Z]{8}$"


@dataclass(frozen=True, slots=True)
class Issued:
    number: str
    job_id: str
    reported: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the public verification page says about a genuine certificate (masked)."""

    number: str
    name: str
    name_en: str
    issuer: str
    holder: str
    id_number: str
    issued_at: datetime


class CertService:
    def __init__(
        self,
        departments: Departments,
        sessions: async_sessionmaker[AsyncSession],
        jobs: JobService,
        blobs: BlobStore,
        library: LicenseLibrary | None,
        secret: str,
        verify_url: str,
        clock: Callable[[], datetime] = utcnow,
        sample: bool = False,
    ) -> None:
        self.departments = departments
        self._sessions = sessions
        self._jobs = jobs
        self._blobs = blobs
        self.library = library
        self._signer = LinkSigner(secret, "kiosk-certificate", mac_bytes=16)
        self._aead = AESGCM(hashlib.sha256(b"kfleet-cert-report\0" + secret.encode()).digest())
        self._holder_key = hashlib.sha256(b"kfleet-cert-holder\0" + secret.encode()).digest()
        self.verify_url = verify_url.rstrip("/")
        self.clock = clock
        self.sample = sample

    # --- the kinds ------------------------------------------------------------------------
    def decl(self, kind: str) -> CertDecl:
        decl = BY_KIND.get(kind)
        if decl is None:
            raise UnknownCertificate(kind)
        return decl

    def available(self, decl: CertDecl) -> bool:
        return self.departments.has(decl.department)

    def link(self, number: str) -> str:
        return f"{self.verify_url}/v/{self._signer.seal(number.encode())}"

    # --- preview and issue ----------------------------------------------------------------
    async def facts(
        self, caller: Principal, kind: str, who: Who
    ) -> tuple[CertDecl, dict[str, str]]:
        """The certificate's facts from its department, unmasked (for the paper)."""
        decl = self.decl(kind)
        person = await self.departments.person(caller, who)
        record = await self.departments.record(decl.department, decl.operation, person)
        record.update(name=person.name, id_number=person.id_number)
        log.info("certificate %s fetched at %s", kind, caller.name)
        return decl, record

    async def preview(self, caller: Principal, kind: str, who: Who) -> dict[str, str]:
        """The facts as the screen shows them (each field's mask)."""
        decl, record = await self.facts(caller, kind, who)
        return {f.key: mask_value(record.get(f.key, ""), f.mask) for f in decl.fields}

    async def issue(self, caller: Principal, kind: str, who: Who, request_id: str) -> Issued:
        decl, device = self.decl(kind), caller.name
        done = await self._by_request(device, request_id)
        if done is not None:  # a retry: the same citizen, the same certificate, no new paper
            await self.departments.person(caller, who)
            if done.kind != kind or not hmac.compare_digest(done.holder_hash, self._holder(who)):
                raise RequestReused()
            return Issued(done.number, done.job_id, done.library_state == "reported")
        decl, facts = await self.facts(caller, kind, who)
        site_name = await a4_site_name(self._sessions, device, caller.device_site or "")
        now = self.clock()
        number = f"ZM{now.astimezone(HALL_TZ):%Y%m%d}-" + "".join(
            secrets.choice(_ALPHABET) for _ in range(8)
        )
        paper = CertPaper(
            decl,
            number,
            facts,
            site_name,
            now.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M"),
            self.link(number),
            self.sample,
        )
        pdf = await asyncio.to_thread(cert_pdf, paper)
        sha = await store_pdf(self._blobs, pdf)
        job_id = await self._print(caller, decl, sha, number, f"kiosk-cert:{device}:{request_id}")
        row = KioskCertificate(
            number=number,
            kind=decl.kind,
            department=decl.department,
            dept_doc_no=facts.get("doc_no", "")[:64],
            holder_hash=self._holder(who),
            holder_masked=mask_value(facts["name"], "name"),
            id_masked=mask_value(facts["id_number"], "id_number"),
            issued_at=now,
            device_id=device,
            site=caller.device_site or "",
            request_id=request_id,
            sha256=sha,
            job_id=job_id,
            library_state="pending",
            library_id="",
            report_tries=0,
            report_secret=self._seal(facts["id_number"], facts["name"]),
        )
        try:
            async with self._sessions() as s:
                s.add(row)
                await s.commit()
        except IntegrityError:  # the same request raced in: its certificate stands
            done = await self._by_request(device, request_id)
            assert done is not None
            return Issued(done.number, done.job_id, done.library_state == "reported")
        log.info("certificate %s %s printed on %s (job %s)", kind, number, device, job_id)
        return Issued(number, job_id, await self.report(number))

    async def _print(
        self, caller: Principal, decl: CertDecl, sha: str, number: str, key: str
    ) -> str:
        req = JobCreate(
            kind=JobKind.PRINT_DOCUMENT,
            target=DeviceTarget(device_id=caller.name),
            params={"document": sha, "title": f"{decl.name} {number}"},
            idempotency_key=key,
            purpose="certificate",
        )
        try:
            job, _ = await self._jobs.create(req, caller)
        except CloudError as err:
            raise CertNotPrinted(
                f"the print job was refused: {err}",
                "本机暂时无法打印证明，请稍后再试或到窗口办理。",
                "This kiosk cannot print the certificate now. Please try later or ask at a window.",
            ) from err
        return job.id

    async def _by_request(self, device: str, request_id: str) -> KioskCertificate | None:
        async with self._sessions() as s:
            return await s.scalar(
                select(KioskCertificate).where(
                    KioskCertificate.device_id == device,
                    KioskCertificate.request_id == request_id,
                )
            )

    def _holder(self, who: Who) -> str:
        text = f"{who.id_number.upper()}\x1f{who.name.strip()}".encode()
        return hashlib.sha256(self._holder_key + text).hexdigest()

    def _seal(self, id_number: str, name: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, f"{id_number}\x1f{name}".encode(), None)

    def _open(self, sealed: bytes) -> tuple[str, str]:
        id_number, _, name = (
            self._aead.decrypt(sealed[:12], sealed[12:], None).decode().partition("\x1f")
        )
        return id_number, name

    # --- the licence library ---------------------------------------------------------------
    async def report(self, number: str) -> bool:
        """Report one certificate to the 电子证照库; False (kept pending) when it fails."""
        async with self._sessions() as s:
            row = await s.get(KioskCertificate, number)
            if row is None or row.library_state == "reported":
                return row is not None
            if self.library is None or row.report_secret is None:
                return False
            id_number, name = self._open(row.report_secret)
            decl = self.decl(row.kind)
            cert = Reported(
                kind=row.kind,
                name=decl.name,
                number=row.number,
                holder=Person(id_number, name),
                issuer=decl.issuer,
                issued_on=row.issued_at.astimezone(HALL_TZ).strftime("%Y-%m-%d"),
                sha256=row.sha256,
            )
            row.report_tries += 1
            try:
                row.library_id = await self.library.report(cert)
            except CloudError as err:
                log.warning(
                    "certificate %s not reported (try %d): %s", number, row.report_tries, err
                )
                await s.commit()
                return False
            row.library_state, row.report_secret = "reported", None
            await s.commit()
        log.info("certificate %s reported to the licence library", number)
        return True

    async def report_pending(self) -> int:
        """Report every pending certificate once; how many were reported."""
        async with self._sessions() as s:
            numbers = list(
                await s.scalars(
                    select(KioskCertificate.number)
                    .where(KioskCertificate.library_state == "pending")
                    .order_by(KioskCertificate.issued_at)
                    .limit(200)
                )
            )
        return sum([await self.report(n) for n in numbers])

    async def report_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.report_pending()
            except Exception:  # the loop outlives one bad round (a database hiccup)
                log.exception("reporting pending certificates")

    # --- the public verification page -------------------------------------------------------
    async def verify(self, token: str) -> Verdict | None:
        """The certificate a genuine link names, or None (forged, damaged, never issued)."""
        raw = self._signer.unseal(token)
        if raw is None:
            return None
        number = raw.decode(errors="replace")
        async with self._sessions() as s:
            row = await s.get(KioskCertificate, number)
        if row is None:
            return None
        decl = BY_KIND.get(row.kind)
        if decl is None:
            return None
        return Verdict(
            number=row.number,
            name=decl.name,
            name_en=decl.name_en,
            issuer=decl.issuer,
            holder=row.holder_masked,
            id_number=row.id_masked,
            issued_at=row.issued_at,
        )
