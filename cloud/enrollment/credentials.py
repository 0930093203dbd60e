"""Device credentials: a random secret per device (MQTT password and HTTP Basic secret), its
SHA-256 in ``device_credentials``, and the same password at the broker.

Every change is written to the database first (not committed), then pushed to the broker;
if the broker refuses, the transaction is rolled back, so the database never holds a
credential the broker does not (or the reverse, short of a crash between the two).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth import secrets
from cloud.auth.principal import Principal
from cloud.broker_acl.access import BrokerAccess, BrokerAclError, ClientExists
from cloud.db.identity import DeviceCredential
from cloud.db.models import Device, Site, utcnow
from cloud.enrollment.errors import BrokerUnavailable
from cloud.errors import NotFound
from protocols.enrollment import DeviceSelf, RotateResponse
from protocols.messages import Role

log = logging.getLogger(__name__)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class Credentials:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        access: BrokerAccess,
        grace_s: int,
    ) -> None:
        self._sessions = sessions
        self._access = access
        self._grace = timedelta(seconds=grace_s)

    @staticmethod
    async def issue(
        s: AsyncSession, device_id: str, now: datetime, *, fresh: bool
    ) -> tuple[str, DeviceCredential]:
        """A new credential row (flushed); ``fresh``: every other one is revoked (enroll)."""
        if fresh:
            await s.execute(
                update(DeviceCredential)
                .where(
                    DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None)
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
        password = secrets.new_secret()
        row = DeviceCredential(
            device_id=device_id, secret_hash=secrets.digest(password), created_at=now
        )
        s.add(row)
        await s.flush()
        return password, row

    @staticmethod
    async def has_live(s: AsyncSession, device_id: str) -> bool:
        """Whether the device holds a credential that is not revoked."""
        found = await s.scalar(
            select(DeviceCredential.id)
            .where(DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None))
            .limit(1)
        )
        return found is not None

    async def push_new(self, s: AsyncSession, device_id: str, password: str) -> None:
        """The broker identity with ``password`` (made, or re-passworded and enabled)."""
        try:
            try:
                await self._access.add_device(device_id, password)
            except ClientExists:
                await self._access.set_password(device_id, password)
                await self._access.enable_device(device_id)
        except BrokerAclError as err:
            await s.rollback()
            raise BrokerUnavailable(
                f"the broker did not take device {device_id}'s identity ({err}); nothing was "
                "changed and the token is still unused: try again, and tell the operator if it "
                "keeps failing"
            ) from err

    async def rotate(self, caller: Principal) -> RotateResponse:
        """A new secret; the others stay valid over HTTP for the grace period, not on MQTT."""
        now = utcnow()
        until = now + self._grace
        async with self._sessions() as s:
            await s.execute(
                update(DeviceCredential)
                .where(
                    DeviceCredential.device_id == caller.name,
                    DeviceCredential.revoked_at.is_(None),
                    (DeviceCredential.retired_at.is_(None)) | (DeviceCredential.retired_at > until),
                )
                .values(retired_at=until)
                .execution_options(synchronize_session=False)
            )
            password, _ = await self.issue(s, caller.name, now, fresh=False)
            audit.add(
                s,
                audit.AuditRecord(
                    actor=caller.actor,
                    action="device.rotate",
                    result=audit.Result.OK,
                    target=f"device:{caller.name}",
                    site=caller.device_site or "",
                    ip=caller.ip,
                    message=f"new credential; the old one works over HTTP until "
                    f"{until:%Y-%m-%d %H:%M:%S} UTC",
                ),
            )
            try:
                await self._access.set_password(caller.name, password)
            except BrokerAclError as err:
                await s.rollback()
                raise BrokerUnavailable(
                    f"the broker did not take the new password ({err}); nothing was changed: "
                    "the current credentials still work, try again later"
                ) from err
            await s.commit()
        return RotateResponse(
            password=password, old_valid_until_ms=_ms(until), server_time_ms=_ms(now)
        )

    async def describe(self, caller: Principal) -> DeviceSelf:
        now = utcnow()
        async with self._sessions() as s:
            device = await s.get(Device, caller.name)
            if device is None:
                raise NotFound(f"device {caller.name!r} not found")
            site = await s.get(Site, device.site_id)
            newest = await s.scalar(
                select(DeviceCredential.created_at)
                .where(
                    DeviceCredential.device_id == device.id, DeviceCredential.revoked_at.is_(None)
                )
                .order_by(DeviceCredential.created_at.desc(), DeviceCredential.id.desc())
                .limit(1)
            )
        return DeviceSelf(
            device_id=device.id,
            name=device.name,
            site=site.path if site else "",
            role=Role(device.role),
            online=device.online,
            revoked=device.revoked_at is not None,
            credential_created_ms=_ms(newest or now),
            server_time_ms=_ms(now),
        )
