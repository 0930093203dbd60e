"""Minting, listing and revoking enrollment tokens (the operator's side).

A token's secret is shown once, in the mint's answer (with its QR code); the database keeps
its SHA-256 only, so a lost token is revoked and a new one minted, never shown again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth import secrets
from cloud.auth.principal import Principal
from cloud.db import sites as site_repo
from cloud.db.identity import EnrollmentToken
from cloud.db.models import Site, utcnow
from cloud.enrollment.qr import qr_svg
from cloud.enrollment.schemas import TokenMint, TokenMinted, TokenOut, TokenState
from cloud.errors import Conflict, NotFound
from protocols.enrollment import qr_text
from protocols.messages import Role

LIST_LIMIT = 500


def state_of(row: EnrollmentToken, now: datetime) -> TokenState:
    if row.revoked_at is not None:
        return TokenState.REVOKED
    if row.used_at is not None:
        return TokenState.USED
    if row.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.UNUSED


def token_out(row: EnrollmentToken, site: str, now: datetime) -> TokenOut:
    return TokenOut(
        id=row.id,
        site=site,
        role=Role(row.role),
        device_id=row.device_id,
        name=row.name,
        state=state_of(row, now),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by_device=row.used_by_device,
        revoked_at=row.revoked_at,
    )


class TokenService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cloud_url: str, default_ttl_s: int
    ) -> None:
        self._sessions = sessions
        self._cloud_url = cloud_url
        self._ttl_s = default_ttl_s

    async def mint(self, caller: Principal, req: TokenMint) -> TokenMinted:
        """A new token for ``req.site`` (which must exist in the caller's subtree, else 404)."""
        now = utcnow()
        async with self._sessions() as s:
            site = await site_repo.get_by_path(s, req.site)
            if site is None or not caller.sees(req.site):
                raise NotFound(
                    f"site {req.site!r} not found; GET /api/v1/sites lists the sites you may "
                    "enroll devices at"
                )
            token_id, secret = secrets.new_id(), secrets.new_secret()
            row = EnrollmentToken(
                id=token_id,
                secret_hash=secrets.digest(secret),
                site_id=site.id,
                role=req.role.value,
                device_id=req.device_id or "",
                name=req.name,
                created_by=caller.actor,
                created_at=now,
                expires_at=now + timedelta(seconds=req.ttl_s or self._ttl_s),
            )
            s.add(row)
            audit.add(s, self._record(caller, "enrollment_token.create", row, req.site))
            await s.commit()
        text = secrets.make_token("kfe", token_id, secret)
        qr = qr_text(self._cloud_url, text)
        out = token_out(row, req.site, now)
        return TokenMinted(**out.model_dump(), token=text, qr_text=qr, qr_svg=qr_svg(qr))

    async def list(
        self, caller: Principal, site: str | None, state: TokenState | None
    ) -> list[TokenOut]:
        """Newest first, only in the caller's subtree (and ``site``'s, if given)."""
        now = utcnow()
        stmt = (
            select(EnrollmentToken, Site.path)
            .join(Site, Site.id == EnrollmentToken.site_id)
            .where(site_repo.in_subtree(caller.scope or "\x00"))
            .order_by(EnrollmentToken.created_at.desc())
            .limit(LIST_LIMIT)
        )
        if site:
            stmt = stmt.where(site_repo.in_subtree(site))
        async with self._sessions() as s:
            rows = (await s.execute(stmt)).all()
        out = [token_out(row, path, now) for row, path in rows]
        return [t for t in out if state is None or t.state is state]

    async def revoke(self, caller: Principal, token_id: str) -> TokenOut:
        """An unused token can no longer enroll; revoking twice is harmless."""
        now = utcnow()
        async with self._sessions() as s:
            row = await s.get(EnrollmentToken, token_id)
            path = await site_repo_path(s, row)
            if row is None or not caller.sees(path):
                raise NotFound(f"enrollment token {token_id!r} not found")
            if row.used_at is not None:
                raise Conflict(
                    f"enrollment token {token_id} was already used at "
                    f"{row.used_at:%Y-%m-%d %H:%M} UTC by device {row.used_by_device}; revoke the "
                    "device instead "
                    f"(POST /api/v1/devices/{row.used_by_device}/revoke)"
                )
            if row.revoked_at is None:
                row.revoked_at = now
                audit.add(s, self._record(caller, "enrollment_token.revoke", row, path))
                await s.commit()
            return token_out(row, path, now)

    @staticmethod
    def _record(
        caller: Principal, action: str, row: EnrollmentToken, site: str
    ) -> audit.AuditRecord:
        return audit.AuditRecord(
            actor=caller.actor,
            action=action,
            result=audit.Result.OK,
            target=f"enrollment_token:{row.id}",
            site=site,
            ip=caller.ip,
            message=f"{row.role} {row.device_id or '(device names itself)'}",
            detail={
                "token_id": row.id,
                "role": row.role,
                "device_id": row.device_id,
                "expires_at": row.expires_at.isoformat(),
            },
        )


async def site_repo_path(s: AsyncSession, row: EnrollmentToken | None) -> str:
    if row is None:
        return ""
    site = await s.get(Site, row.site_id)
    return site.path if site else ""
