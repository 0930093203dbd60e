"""``POST /api/v1/enroll``: a one-time token for a device's credentials.

The token is claimed by one conditional UPDATE (``used_at IS NULL AND revoked_at IS NULL AND
expires_at > now``): of two concurrent uses exactly one changes a row, on SQLite (one writer)
and PostgreSQL (the second UPDATE waits on the row lock, then finds it used). The device row,
its credential and the audit row are written in the same transaction, and the broker identity
is made before it commits: a broker that refuses rolls everything back, the token stays
unused and the device may try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth import secrets
from cloud.db.identity import EnrollmentToken
from cloud.db.models import Device, DeviceEvent, Site, utcnow
from cloud.enrollment import errors as e
from cloud.enrollment.credentials import Credentials
from cloud.enrollment.errors import BrokerUnavailable, EnrollRefused
from protocols.enrollment import EnrollRequest, EnrollResponse, MqttCredentials
from protocols.messages import Role


@dataclass(frozen=True)
class DeviceEndpoints:
    """What an enrolled device is told to dial."""

    mqtt_url: str  # no credentials in it
    cloud_url: str


def _check_secret(row: EnrollmentToken | None, secret: str) -> EnrollmentToken:
    if row is None or not secrets.matches(secret, row.secret_hash):
        raise EnrollRefused(
            e.UNKNOWN,
            "token_unknown",
            "this enrollment token is not known to this cloud (mistyped, or minted by another "
            "cloud); check the token and the --cloud URL, or ask for a new token",
        )
    return row


def _check_usable(row: EnrollmentToken, now: datetime) -> None:
    if row.revoked_at is not None:
        raise EnrollRefused(
            e.GONE,
            "token_revoked",
            f"this enrollment token was revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC; ask "
            "the operator for a new one",
        )
    if row.used_at is not None:
        raise EnrollRefused(
            e.USED,
            "token_used",
            f"this enrollment token was already used at {row.used_at:%Y-%m-%d %H:%M:%S} UTC by "
            f"device {row.used_by_device}; a token enrolls one device once: ask for a new one "
            "(or, on that device, run 'kfleet provision status')",
        )
    if row.expires_at <= now:
        raise EnrollRefused(
            e.GONE,
            "token_expired",
            f"this enrollment token expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; ask the "
            "operator for a new one (if the device's clock is wrong, fix it too)",
        )


def _device_id(row: EnrollmentToken, req: EnrollRequest) -> str:
    device_id = row.device_id or req.device_id
    if not device_id:
        raise EnrollRefused(
            e.MALFORMED,
            "device_id_missing",
            "this token was minted without a device id, so the device must propose one: "
            "pass --device-id (a-z 0-9 _ . -, up to 64)",
        )
    return device_id


def _check_conflict(
    found: Device | None, row: EnrollmentToken, site: str, other: str, live: bool
) -> None:
    """An id in use elsewhere is refused; so is taking over a live device of this site with a
    token that did not name it (two devices that picked the same id must not swap)."""
    if found is None or found.revoked_at is not None:
        return
    if found.site_id != row.site_id:
        raise EnrollRefused(
            e.USED,
            "device_conflict",
            f"device id {found.id!r} is already enrolled at site {other}, not {site}; "
            "choose another id, or revoke that device first (POST /api/v1/devices/"
            f"{found.id}/revoke) and enroll with a new token",
        )
    if live and row.device_id != found.id:
        raise EnrollRefused(
            e.USED,
            "device_conflict",
            f"device id {found.id!r} is already enrolled at this site and has working "
            "credentials; choose another id, or to replace that device mint a token for device "
            f"id {found.id!r} (or revoke it first)",
        )


def _enrolled(
    device_id: str, row: EnrollmentToken, site: str, req: EnrollRequest, ip: str, again: bool
) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=f"device:{device_id}",
        action="device.enroll",
        result=audit.Result.OK,
        target=f"device:{device_id}",
        site=site,
        ip=ip,
        message=f"enrolled as {row.role} with token {row.id}" + (" (re-enrolled)" if again else ""),
        detail={
            "token_id": row.id,
            "hostname": req.hostname,
            "agent_version": req.agent_version,
            "reenrolled": again,
        },
    )


async def _flush_new_device(s: AsyncSession, device_id: str) -> None:
    """Write the device row; another request enrolling the same new id at the same moment
    (with another token) makes this fail: a conflict, and this token stays unused."""
    try:
        await s.flush()
    except IntegrityError:
        await s.rollback()
        raise EnrollRefused(
            e.USED,
            "device_conflict",
            f"device id {device_id!r} was enrolled by another request at this very moment; "
            "this token was not used: check which device that was, or choose another id",
        ) from None


class Exchange:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        credentials: Credentials,
        endpoints: DeviceEndpoints,
    ) -> None:
        self._sessions = sessions
        self._credentials = credentials
        self._endpoints = endpoints

    async def enroll(self, req: EnrollRequest, ip: str) -> EnrollResponse:
        parsed = secrets.parse_token(req.token)
        token_id = parsed.id if parsed is not None and parsed.prefix == "kfe" else ""
        try:
            if not token_id or parsed is None:
                raise EnrollRefused(
                    e.MALFORMED,
                    "token_malformed",
                    "that is not an enrollment token: it looks like kfe_<16 hex>_<43 "
                    "characters>; copy it again or scan the QR code",
                )
            return await self._enroll(req, parsed.secret, token_id, ip)
        except (EnrollRefused, BrokerUnavailable) as refused:
            await self._refused(req, token_id, ip, refused)
            raise

    async def _enroll(
        self, req: EnrollRequest, secret: str, token_id: str, ip: str
    ) -> EnrollResponse:
        now = utcnow()
        async with self._sessions() as s:
            row = _check_secret(await s.get(EnrollmentToken, token_id), secret)
            _check_usable(row, now)
            site = await s.get(Site, row.site_id)
            if site is None:
                raise EnrollRefused(e.GONE, "site_gone", "the token's site no longer exists")
            device_id = _device_id(row, req)
            found = await s.get(Device, device_id)
            other = await s.get(Site, found.site_id) if found is not None else None
            live = found is not None and await self._credentials.has_live(s, device_id)
            _check_conflict(found, row, site.path, other.path if other else "", live)
            name = row.name or req.name or (found.name if found else "") or device_id
            await self._claim(s, row, device_id, now)
            device = found or Device(id=device_id, site_id=site.id, role=row.role, online=False)
            reenrolled = found is not None
            device.site_id, device.role, device.name = site.id, row.role, name
            device.revoked_at, device.revoked_reason = None, ""
            s.add(device)
            s.add(
                DeviceEvent(
                    device_id=device_id,
                    kind="enrolled",
                    reason=site.path,
                    data={"token_id": row.id, "reenrolled": reenrolled},
                )
            )
            await _flush_new_device(s, device_id)
            password, _ = await self._credentials.issue(s, device_id, now, fresh=True)
            audit.add(s, _enrolled(device_id, row, site.path, req, ip, reenrolled))
            await self._credentials.push_new(s, device_id, password)  # rolls back on failure
            await s.commit()
        return EnrollResponse(
            device_id=device_id,
            name=name,
            site=site.path,
            role=Role(row.role),
            mqtt=MqttCredentials(
                url=self._endpoints.mqtt_url,
                username=device_id,
                password=password,
                client_id=device_id,
            ),
            cloud_url=self._endpoints.cloud_url,
            server_time_ms=int(now.timestamp() * 1000),
        )

    @staticmethod
    async def _claim(s: AsyncSession, row: EnrollmentToken, device_id: str, now: datetime) -> None:
        """Take the token, or learn that a concurrent request took it first."""
        result = await s.execute(
            update(EnrollmentToken)
            .where(
                EnrollmentToken.id == row.id,
                EnrollmentToken.used_at.is_(None),
                EnrollmentToken.revoked_at.is_(None),
                EnrollmentToken.expires_at > now,
            )
            .values(used_at=now, used_by_device=device_id)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            return
        await s.rollback()
        await s.refresh(row)
        _check_usable(row, now)  # raises the precise reason (used, revoked, expired)
        raise EnrollRefused(
            e.USED,
            "token_used",
            f"this enrollment token was just used by another request (device "
            f"{row.used_by_device or '?'}); a token enrolls one device once: ask for a new one",
        )

    async def _refused(
        self, req: EnrollRequest, token_id: str, ip: str, why: EnrollRefused | BrokerUnavailable
    ) -> None:
        await audit.write(
            self._sessions,
            audit.AuditRecord(
                actor=f"device:{req.device_id}" if req.device_id else "anonymous",
                action="device.enroll_refused",
                # the broker failing is not the device's fault: failed, not denied
                result=audit.Result.FAILED
                if isinstance(why, BrokerUnavailable)
                else audit.Result.DENIED,
                target=f"enrollment_token:{token_id}" if token_id else "",
                ip=ip,
                message=str(why),
                detail={"code": why.code, "token_id": token_id},
            ),
        )
