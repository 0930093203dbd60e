"""Which births ingest refuses for identity reasons.

A revoked device's birth is always refused (``device_revoked``): whatever the broker, an
operator cut it off. When broker access control is on (``broker_acl`` other than ``none``),
a birth from a device without a live credential — never enrolled, or all its credentials
revoked — is refused too (``unregistered_device``), even with ``auto_register_devices`` on:
with identities enforced, devices join by enrollment only. With ``broker_acl=none``
(development) auto-registration works as before.

Every refusal is counted; it is logged once per device (a retained birth comes back on every
cloud reconnect and must not flood the log), and again after :data:`LOG_MEMORY` others.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.identity import DeviceCredential
from cloud.db.models import Device
from cloud.reasons import Rejected

LOG_MEMORY = 10_000


class EnrollmentGate:
    def __init__(self, require_enrollment: bool) -> None:
        self.require_enrollment = require_enrollment
        self._logged: set[str] = set()

    async def refuse(
        self, s: AsyncSession, device_id: str, device: Device | None
    ) -> tuple[str, str] | None:
        """``(reason, detail)`` if this device's birth must be refused, else None."""
        if device is not None and device.revoked_at is not None:
            return (
                Rejected.DEVICE_REVOKED,
                f"birth of {device_id}, which was revoked ({device.revoked_reason or 'no reason'})"
                "; enroll it again with a new token to bring it back",
            )
        if not self.require_enrollment:
            return None
        live = await s.scalar(
            select(DeviceCredential.id)
            .where(DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None))
            .limit(1)
        )
        if live is None:
            return (
                Rejected.UNREGISTERED_DEVICE,
                f"birth of {device_id}, which is not enrolled (broker access control is on: "
                "devices join with 'kfleet provision enroll' and a token from the console)",
            )
        return None

    def first(self, device_id: str) -> bool:
        """True the first time a device is refused (log it); later refusals only count."""
        if device_id in self._logged:
            return False
        if len(self._logged) >= LOG_MEMORY:
            self._logged.clear()
        self._logged.add(device_id)
        return True
