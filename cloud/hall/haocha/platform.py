"""The provincial 好差评 platform as the forwarder sees it: submit one rating, learn whether it
was accepted (with the platform's id), refused for good, or could not be judged now.

``Unavailable`` covers everything a later resend can fix — the platform down, slow, rate
limiting, a dropped connection, and our own credentials refused (an operator fixes the
setting; the ratings wait, they are not the ones at fault). ``Refused`` is the platform saying
this rating can never be taken as it is (a 400 with a code): it is kept for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

#: our rating source → the platform's channel (评价渠道)
CHANNELS = {"pad": "window", "kiosk": "kiosk", "phone": "mobile"}


@dataclass(frozen=True, slots=True)
class Submission:
    """One rating as the platform takes it; ``source_id`` is ours and makes resends safe."""

    source_id: str
    site_code: str
    site_name: str
    window_no: str
    staff_no: str
    service_code: str
    case_no: str
    level: int
    reasons: list[str]
    comment: str
    channel: str
    rated_at: datetime
    ticket_no: str = ""

    def wire(self) -> dict[str, object]:
        return {
            "sourceId": self.source_id,
            "siteCode": self.site_code,
            "siteName": self.site_name,
            "windowNo": self.window_no,
            "staffNo": self.staff_no,
            "serviceCode": self.service_code,
            "caseNo": self.case_no,
            "ticketNo": self.ticket_no,
            "level": self.level,
            "reasons": list(self.reasons),
            "comment": self.comment,
            "channel": self.channel,
            "ratedAt": self.rated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Accepted:
    ref: str
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Unavailable:
    reason: str
    retry_after_s: float | None = None
    #: our credentials or clock were refused (401): an operator must act
    auth: bool = field(default=False)


Outcome = Accepted | Refused | Unavailable


class HaochaPlatform(Protocol):
    async def submit(self, rating: Submission) -> Outcome: ...

    async def aclose(self) -> None:
        """Release connections (the forwarder calls it when it stops)."""
        ...
