"""Builds the 高龄补贴 services (registration, certification) into the kiosk parts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.jobs import JobService
from cloud.kiosk.elderly import ElderlyService
from cloud.kiosk.elderly_cert import CertService
from cloud.kiosk.face_verify import HttpFaceVerifier
from cloud.kiosk.parts import Kiosk
from cloud.once import OnceClaims
from cloud.settings import Settings


def build_elderly(
    kiosk: Kiosk,
    settings: Settings,
    jobs: JobService,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """``kiosk.elderly`` and ``kiosk.elderly_cert``; their HTTP clients close with the app."""
    kiosk.elderly = ElderlyService(kiosk, settings, jobs)
    verifier = HttpFaceVerifier(settings)
    secret = settings.secret_key.get_secret_value()
    used = OnceClaims(sessions, "elderly-cert")  # single use across cloud workers
    kiosk.elderly_cert = CertService(
        kiosk.elderly, verifier, secret, settings.elderly_cert_actions, used
    )
    kiosk.closers += [kiosk.elderly.close, verifier.close]
