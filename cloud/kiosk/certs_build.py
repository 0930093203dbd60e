"""Builds the certificates and the social security card's services into the kiosk parts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.jobs import JobService
from cloud.kiosk import departments
from cloud.kiosk.certs_card import SocialCardService
from cloud.kiosk.certs_common import Departments
from cloud.kiosk.certs_decl import CERTIFICATES
from cloud.kiosk.certs_parts import CertServices
from cloud.kiosk.certs_service import CertService
from cloud.kiosk.departments.base import Department
from cloud.kiosk.license_library import HttpLicenseLibrary
from cloud.kiosk.parts import Kiosk
from cloud.settings import Settings


def build_certs(
    kiosk: Kiosk, settings: Settings, sessions: async_sessionmaker[AsyncSession], jobs: JobService
) -> None:
    """``kiosk.certs``; needs ``kiosk.otp`` (the queries' build) first. The department modules
    are read now (a test adds its stand-in to ``departments.MODULES`` before)."""
    assert kiosk.otp is not None, "build_queries builds the one-time codes first"
    wanted = {c.department for c in CERTIFICATES} | {"hrss"}
    adapters: dict[str, tuple[Department, float]] = {}
    for module in departments.MODULES:
        code = module.QUERIES[0].department
        endpoint = settings.kiosk_departments.get(code)
        if code in wanted and endpoint is not None:
            adapters[code] = (module.build(endpoint), endpoint.timeout_s)
    depts = Departments(adapters, kiosk.otp)
    library = HttpLicenseLibrary(settings.license_library) if settings.license_library else None
    secret = settings.secret_key.get_secret_value()
    verify = settings.certificate_verify_url or settings.hall_phone_url or settings.base_url
    certs = CertService(
        depts,
        sessions,
        jobs,
        BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes),
        library,
        secret,
        verify,
        sample=settings.demo,
    )
    kiosk.certs = CertServices(certs, SocialCardService(depts, sessions, jobs, secret))
    kiosk.closers.append(depts.close)
    if library is not None:
        kiosk.closers.append(library.close)
    kiosk.workers.append(
        ("certificates-report", lambda: certs.report_loop(settings.certificate_report_retry_s))
    )
