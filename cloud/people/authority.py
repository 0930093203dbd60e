"""What a person may hand out: roles no stronger and scopes no wider than their own.

Used for creating and changing users and for API tokens. A user outside the caller's scope
does not exist for the caller (404, as everywhere else); one inside but stronger is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloud.auth.principal import Principal
from cloud.errors import Forbidden, NotFound
from fleet.access import ROLE_PERMISSIONS, PersonRole, in_scope, narrower_or_equal, role_at_most


@dataclass(frozen=True)
class Grantor:
    """Who grants: a role and a scope (from a :class:`Principal`)."""

    name: str
    role: PersonRole
    scope: str

    @classmethod
    def of(cls, caller: Principal) -> Grantor:
        if caller.role is None or caller.scope is None:
            raise Forbidden("devices cannot manage people or tokens", "permission_denied")
        return cls(caller.name, caller.role, caller.scope)


def check_grant(who: Grantor, role: PersonRole, scope: str) -> None:
    """Refuse a role stronger than ``who``'s or a scope outside ``who``'s subtree."""
    if not role_at_most(who.role, role):
        missing = sorted(p.value for p in ROLE_PERMISSIONS[role] - ROLE_PERMISSIONS[who.role])
        raise Forbidden(
            f"you cannot give the role {role.value}: it includes {', '.join(missing)}, which "
            f"your role {who.role.value} does not; ask an administrator whose role does",
            "beyond_your_role",
        )
    if not narrower_or_equal(who.scope, scope):
        raise Forbidden(
            f"the scope {scope} is outside yours ({who.scope}); you can give only {who.scope} "
            "or a site below it",
            "beyond_your_scope",
        )


def check_reach(who: Grantor, username: str, role: str, scope: str) -> None:
    """A user the grantor may manage: inside their scope (else 404) and no stronger (403)."""
    if not in_scope(who.scope, scope):
        raise NotFound(f"user {username!r} not found")
    if not role_at_most(who.role, PersonRole(role)):
        raise Forbidden(
            f"user {username!r} has the role {role}, which is stronger than yours "
            f"({who.role.value}); ask an administrator whose role includes it",
            "beyond_your_role",
        )
