"""Who performs a people-management action, for authority checks and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.people.authority import Grantor


@dataclass(frozen=True)
class Acting:
    actor: str  # the audit log's actor: ``user:alice``, ``cli:root``
    ip: str
    now: datetime
    #: the limits of what may be granted; None for the machine's operator at the CLI
    who: Grantor | None
    user_id: int | None = None  # the acting person's own user id (refuse locking oneself out)

    @classmethod
    def of(cls, caller: Principal) -> Acting:
        return cls(caller.actor, caller.ip, utcnow(), Grantor.of(caller), caller.user_id)

    @classmethod
    def cli(cls, os_user: str) -> Acting:
        return cls(f"cli:{os_user}", "", utcnow(), None)
