"""API tokens for integrations: ``kfa_{id}_{secret}`` with a role and scope no wider than the
person creating it, an optional expiry, and revocation. The secret is returned once; only its
SHA-256 is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import audit
from cloud.auth import secrets
from cloud.db.identity import ApiToken, User
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.people.acting import Acting
from cloud.people.authority import check_grant
from fleet.access import PersonRole, in_scope

MAX_DAYS = 3650


@dataclass(frozen=True)
class NewToken:
    name: str
    role: PersonRole | None = None  # None: the creator's role
    scope: str | None = None  # None: the creator's scope
    expires_in_days: int | None = None  # None: never expires


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    owner: str


def _audit(s: AsyncSession, acting: Acting, action: str, token: ApiToken, message: str) -> None:
    audit.add(
        s,
        audit.AuditRecord(
            actor=acting.actor,
            action=action,
            result=audit.Result.OK,
            target=f"token:{token.name}",
            site=token.scope,
            ip=acting.ip,
            message=message,
            detail={"token_id": token.id},
        ),
    )


async def create(s: AsyncSession, acting: Acting, new: NewToken) -> tuple[ApiToken, str]:
    """The token row and its full text (shown once)."""
    assert acting.who is not None and acting.user_id is not None
    name = new.name.strip()
    if not 1 <= len(name) <= 128:
        raise Unprocessable("a token needs a name of 1-128 characters saying what uses it")
    role = new.role or acting.who.role
    scope = new.scope or acting.who.scope
    check_grant(acting.who, role, scope)
    expires: datetime | None = None
    if new.expires_in_days is not None:
        if not 1 <= new.expires_in_days <= MAX_DAYS:
            raise Unprocessable(f"expires_in_days must be 1-{MAX_DAYS}, or omitted for none")
        expires = acting.now + timedelta(days=new.expires_in_days)
    token_id, secret = secrets.new_id(), secrets.new_secret()
    row = ApiToken(
        id=token_id,
        name=name,
        user_id=acting.user_id,
        secret_hash=secrets.digest(secret),
        role=role.value,
        scope=scope,
        created_at=acting.now,
        expires_at=expires,
    )
    s.add(row)
    await s.flush()
    _audit(s, acting, "token.create", row, f"role {role.value} at {scope}, expires {expires}")
    return row, secrets.make_token("kfa", token_id, secret)


async def list_tokens(s: AsyncSession, acting: Acting, everyone: bool) -> Sequence[TokenRow]:
    """The acting person's own tokens, or (``everyone``) all tokens inside their scope."""
    q = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if not everyone:
        q = q.where(ApiToken.user_id == acting.user_id)
    rows = (await s.execute(q.order_by(ApiToken.created_at.desc()))).all()
    scope = acting.who.scope if acting.who else ""
    return [
        TokenRow(t, owner)
        for t, owner in rows
        if not everyone or acting.who is None or in_scope(scope, t.scope)
    ]


async def revoke(s: AsyncSession, acting: Acting, token_id: str, manage: bool) -> TokenRow:
    """Revoke one's own token, or (``manage``) anyone's inside one's scope."""
    row = await s.get(ApiToken, token_id)
    visible = row is not None and (
        row.user_id == acting.user_id
        or (manage and (acting.who is None or in_scope(acting.who.scope, row.scope)))
    )
    if row is None or not visible:
        raise NotFound(f"API token {token_id[:32]!r} not found")
    if row.revoked_at is not None:
        raise Conflict(f"API token {row.name!r} was revoked already at {row.revoked_at}")
    row.revoked_at = acting.now
    _audit(s, acting, "token.revoke", row, "revoked")
    owner = await s.get(User, row.user_id)
    return TokenRow(row, owner.username if owner else "")
