"""Who is calling: a person (by console session or API token) or a device."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.access import Permission, PersonRole, allows, in_scope


class PrincipalKind(StrEnum):
    USER = "user"  # a console session
    TOKEN = "token"  # an API token (acts with its own role and scope)
    DEVICE = "device"  # a device's credential (device-facing routes only)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request.

    ``role`` and ``scope`` are None for devices: a device has no permissions on operator
    routes, only on the device-facing ones that ask for a device explicitly.
    """

    kind: PrincipalKind
    name: str  # username, token name or device id
    role: PersonRole | None
    scope: str | None
    user_id: int | None = None
    session_id: str | None = None
    token_id: str | None = None
    device_site: str | None = None  # a device's own site path
    ip: str = ""

    @property
    def actor(self) -> str:
        """How the audit log names this caller (``user:alice``, ``token:ci``, ``device:k1``)."""
        return f"{self.kind.value}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return self.role is not None and allows(self.role, permission)

    def sees(self, site_path: str) -> bool:
        """Whether ``site_path`` is inside this caller's subtree (devices: their own site)."""
        if self.kind is PrincipalKind.DEVICE:
            return self.device_site == site_path
        return self.scope is not None and in_scope(self.scope, site_path)
