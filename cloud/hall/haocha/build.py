"""The forwarder as the settings describe it (``cloud.wiring.build_hall`` calls this)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.hall.haocha.client import HttpHaochaPlatform
from cloud.hall.haocha.forwarder import Forwarder, ForwardPolicy
from cloud.hall.haocha.notices import ForwardingNotices
from cloud.notify.model import Notifier
from cloud.settings_haocha import HaochaSettings


def build_forwarder(
    settings: HaochaSettings, sessions: async_sessionmaker[AsyncSession], notifier: Notifier
) -> Forwarder:
    platform = None
    if settings.haocha_url:
        platform = HttpHaochaPlatform(
            settings.haocha_url,
            settings.haocha_app_id,
            settings.haocha_secret.get_secret_value(),
            settings.haocha_timeout_s,
        )
    policy = ForwardPolicy(
        lease_s=max(60.0, settings.haocha_timeout_s * 2),
        backoff_s=settings.haocha_backoff_s,
        backoff_cap_s=settings.haocha_backoff_cap_s,
        poll_s=settings.haocha_poll_s,
    )
    notices = ForwardingNotices(
        notifier, settings.haocha_notify_channels, settings.haocha_alarm_after_s
    )
    return Forwarder(sessions, platform, policy, notices=notices)
