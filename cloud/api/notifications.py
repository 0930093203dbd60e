"""``/api/v1/notifications``: the record of every notification and its delivery per channel.

Reading needs ``devices.read`` (as reading alerts does) and shows only rows of the reader's
site subtree. Channels are listed by name and type: their targets and secrets are never
returned (they live in ``KFLEET_NOTIFY_CHANNELS``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from cloud.api.auth_deps import scope_of
from cloud.api.callers import DevicesReader
from cloud.api.deps import SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.notify import query as q
from cloud.notify.config import NAME_PATTERN
from cloud.notify.model import NoticeKind
from cloud.notify.rows import DeliveryState
from cloud.notify.service import MessageService

router = APIRouter(
    prefix="/api/v1/notifications",
    tags=["notifications"],
    responses=error_responses(401, 403, 422, 500),
)


class NotificationRow(BaseModel):
    id: int
    #: the notice's key: unique per (alert, kind, n); the webhook body carries it too
    key: str
    channel: str
    kind: NoticeKind
    alert_id: int
    rule_name: str
    severity: str
    subject: str
    site: str
    summary: str
    state: DeliveryState
    attempts: int
    #: why the last attempt failed ("" after a success)
    last_error: str
    #: when the next attempt is due (pending rows)
    next_at: datetime
    created_at: datetime
    delivered_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationRow]
    #: pass as ``cursor`` for the next (older) page; null: no more rows
    next_cursor: int | None


class ChannelInfo(BaseModel):
    name: str
    type: Literal["webhook", "mqtt", "sms"]


class ChannelList(BaseModel):
    channels: list[ChannelInfo]


def _service(request: Request) -> MessageService:
    service: MessageService = request.app.state.parts.notify
    return service


@router.get("", response_model=NotificationPage, summary="Notifications sent, newest first")
async def list_notifications(
    caller: DevicesReader,
    sessions: SessionsDep,
    site: SiteQuery = None,
    alert: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="an alert id")] = None,
    channel: Annotated[str | None, Query(pattern=NAME_PATTERN, description="a channel")] = None,
    state: Annotated[DeliveryState | None, Query(description="pending, delivered or dead")] = None,
    kind: Annotated[NoticeKind | None, Query(description="opened, reminder, …")] = None,
    limit: Annotated[int, Query(ge=1, le=q.MAX_PAGE, description="rows per page")] = (
        q.DEFAULT_PAGE
    ),
    cursor: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="next_cursor of the previous page")
    ] = None,
) -> NotificationPage:
    f = q.NoticeFilter(
        alert, channel, state.value if state else None, kind.value if kind else None, site
    )
    async with sessions() as s:
        got = await q.page(s, f, scope_of(caller), limit, cursor)
    return NotificationPage(
        items=[NotificationRow.model_validate(q.row_dict(r)) for r in got.rows],
        next_cursor=got.next_cursor,
    )


@router.get("/channels", response_model=ChannelList, summary="The configured channels")
async def list_channels(caller: DevicesReader, request: Request) -> ChannelList:
    """Names and types only (what an alert rule may name); never targets or secrets."""
    kinds = _service(request).channel_kinds()
    return ChannelList(channels=[ChannelInfo(name=n, type=t) for n, t in kinds.items()])
