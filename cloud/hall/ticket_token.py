"""The phone link printed as a QR on a queue ticket: ``/t/<token>``.

The token names the site and the ticket and expires at the end of the hall's day (tickets do
not outlive it): ``<payload>.<mac>``, payload = base64url of ``site\\nticket id\\nexpiry``, mac =
HMAC-SHA256 under a key derived from the cloud's ``secret_key``. Anyone holding the paper may
follow that one ticket; nobody can forge another, nor follow yesterday's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from cloud.errors import NotFound
from cloud.link_signing import LinkSigner

#: the halls' local time (China Standard Time); a ticket's day ends at its midnight
HALL_TZ = timezone(timedelta(hours=8), "CST")


class TicketLinkInvalid(NotFound):
    """A forged, damaged or expired ticket link: answered like a page that does not exist."""

    code = "ticket_link_invalid"


@dataclass(frozen=True, slots=True)
class TicketLink:
    site: str
    ticket_id: int
    expires: int  # unix seconds


def end_of_day(now: datetime) -> int:
    """Unix seconds of the next midnight in the hall's time zone."""
    local = now.astimezone(HALL_TZ)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), HALL_TZ)
    return int(midnight.timestamp())


def _signer(secret: str) -> LinkSigner:
    return LinkSigner(secret, "kfleet ticket link v1")


def sign(secret: str, site: str, ticket_id: int, now: datetime) -> str:
    return _signer(secret).seal(f"{site}\n{ticket_id}\n{end_of_day(now)}".encode())


def verify(secret: str, token: str, now: datetime) -> TicketLink:
    """The link the token names; :class:`TicketLinkInvalid` if forged, damaged or expired."""
    data = _signer(secret).unseal(token)
    if data is None:
        raise TicketLinkInvalid("this ticket link is not valid; scan the QR on your ticket again")
    try:
        site, ticket_id, expires = data.decode().split("\n")
        link = TicketLink(site, int(ticket_id), int(expires))
    except (ValueError, UnicodeDecodeError) as err:  # signed by us, so never expected
        raise TicketLinkInvalid("this ticket link is damaged") from err
    if now.timestamp() >= link.expires:
        raise TicketLinkInvalid(
            "this ticket link has expired: tickets are valid on the day they were taken"
        )
    return link
