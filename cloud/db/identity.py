"""ORM models of identity: people, their sessions and API tokens, device enrollment and
credentials, and the audit log. Registered on the same ``Base`` as :mod:`cloud.db.models`.

Secrets are never stored: random secrets (256 bits) as their SHA-256, people's passwords as
argon2id hashes. The migration ``0006`` creates these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, BigId, utcnow


class User(Base):
    """A person who logs in to the console or owns API tokens."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    #: a :class:`fleet.access.PersonRole` value
    role: Mapped[str] = mapped_column(String(32))
    #: root of the site subtree this person sees and touches (``qh`` = everything)
    scope: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: consecutive failed logins; reset by a successful one
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserSession(Base):
    """A browser login: the cookie holds ``{id}.{secret}``; only the secret's hash is kept."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the anti-CSRF token the console echoes in ``X-CSRF-Token`` on every unsafe request
    csrf: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: idle expiry, pushed forward on use; never past ``absolute_expires_at``
    expires_at: Mapped[datetime] = mapped_column(index=True)
    absolute_expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ApiToken(Base):
    """A token for an integration: ``kfa_{id}_{secret}``, with a role and scope no wider than
    its owner's."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EnrollmentToken(Base):
    """A one-time token a technician types (or scans) on a device to enroll it at a site with a
    role: ``kfe_{id}_{secret}``."""

    __tablename__ = "enrollment_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    #: the device role it enrolls (kiosk, window, screen)
    role: Mapped[str] = mapped_column(String(32))
    #: planned device id and name (``kfleet provision bulk``); empty: the device proposes them
    device_id: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(128), default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    used_by_device: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


class DeviceCredential(Base):
    """A device's secret: its MQTT password (username = device id) and its HTTP Basic password.

    Rotation adds a new row; the old one stays valid for HTTP until ``retired_at`` so a device
    mid-request never sees a gap.
    """

    __tablename__ = "device_credentials"
    __table_args__ = (Index("ix_device_credentials_device_active", "device_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: replaced by a rotation: still accepted over HTTP until then
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One privileged action: who, when, from where, what, on which site, and the result.

    Append-only: the migration installs triggers that refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_actor_at", "actor", "at"),
        Index("ix_audit_action_at", "action", "at"),
        Index("ix_audit_site_at", "site", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: ``user:alice``, ``token:ci-export``, ``device:hhl-kiosk-01``, ``cli:root``, ``anonymous``
    actor: Mapped[str] = mapped_column(String(160))
    #: the client address the request came from ("" for CLI and workers)
    ip: Mapped[str] = mapped_column(String(64), default="")
    #: ``auth.login``, ``device.enroll``, ``job.create``, ``permission.denied``, ...
    action: Mapped[str] = mapped_column(String(64))
    #: what it acted on: ``device:hhl-kiosk-01``, ``job:…``, ``user:bob``
    target: Mapped[str] = mapped_column(String(200), default="")
    #: the site path of the target ("" when none)
    site: Mapped[str] = mapped_column(String(200), default="")
    #: ``ok`` | ``denied`` | ``failed``
    result: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(1024), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
