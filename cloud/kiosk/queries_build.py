"""Builds the convenience queries' services into the kiosk parts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.kiosk import departments
from cloud.kiosk.identity_platform import IdentityPlatform
from cloud.kiosk.otp import OtpService
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.queries_registry import QueryRegistry
from cloud.kiosk.queries_service import QueryService
from cloud.settings import Settings


def build_queries(
    kiosk: Kiosk, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """``kiosk.otp`` and ``kiosk.queries``; the department modules are read now, so a test
    adds its stand-in to ``departments.MODULES`` before it builds the app."""
    identity = IdentityPlatform(settings)
    secret = settings.secret_key.get_secret_value()
    kiosk.otp = OtpService(sessions, kiosk.sms, identity, secret)
    registry = QueryRegistry(departments.MODULES, settings.kiosk_departments)
    kiosk.queries = QueryService(registry, kiosk.otp, sessions)
    kiosk.closers += [identity.close, registry.close]
