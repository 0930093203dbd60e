"""好差评's parts, built once by ``cloud.wiring.build_hall``: the pad flow, follow-ups, phone
tokens and the working-day calendar they share."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.calls import CallService
from cloud.hall.ratings_follow_ups import FollowUps, load_calendar
from cloud.hall.ratings_pad import PadRatings
from cloud.hall.ratings_tokens import TokenSigner
from cloud.notify.model import Notifier
from cloud.settings_ratings import RatingSettings
from fleet.workdays import WorkCalendar


@dataclass
class Ratings:
    pad: PadRatings
    follow_ups: FollowUps
    tokens: TokenSigner
    calendar: WorkCalendar
    poll_s: float

    def workers(self) -> list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]]:
        async def follow_ups() -> None:
            await self.follow_ups.run(self.poll_s)

        return [("rating-pad", self.pad.run), ("follow-ups", follow_ups)]


def build_ratings(
    settings: RatingSettings,
    secret: str,
    sessions: async_sessionmaker[AsyncSession],
    calls: CallService,
    notifier: Notifier,
) -> Ratings:
    calendar = load_calendar(settings)
    pad = PadRatings(
        sessions,
        calls,
        calendar,
        timeout_s=settings.hall_rating_timeout_s,
        poll_s=settings.hall_ratings_poll_s,
    )
    follow_ups = FollowUps(sessions, notifier, calendar, settings.hall_follow_up_channels)
    tokens = TokenSigner(secret, settings.hall_rating_token_ttl_s)
    return Ratings(pad, follow_ups, tokens, calendar, settings.hall_ratings_poll_s)
