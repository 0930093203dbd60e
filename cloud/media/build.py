"""Build ``parts.media`` from the settings (called once by :func:`cloud.wiring.build`)."""

from __future__ import annotations

from importlib import import_module

from aiortc import RTCIceServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.calls import CallService
from cloud.errors import ConfigError
from cloud.events import PeripheralEvents
from cloud.media.backend import MediaBackend
from cloud.media.relay import AiortcRelay, RelayConfig
from cloud.media.service import MediaService, StartConfig
from cloud.media.tokens import MediaTokens
from cloud.settings import Settings
from protocols.ice_hosts import restrict_ice_hosts


def build_media(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    calls: CallService,
    peripheral_events: PeripheralEvents,
) -> MediaService:
    """The service with the backend ``media_backend`` names, taking the devices' ``stream``
    events. ICE host addresses are restricted only when configured (an empty list leaves the
    process's choice alone)."""
    if settings.media_ice_host_addresses:
        restrict_ice_hosts(settings.media_ice_host_addresses)
    config = StartConfig(
        base_url=settings.base_url,
        publish_ttl_s=settings.media_publish_token_ttl_s,
        view_ttl_s=settings.media_view_token_ttl_s,
        call_timeout_s=settings.media_call_timeout_s,
        ice_servers=tuple(s.model_dump(mode="json") for s in settings.media_ice_servers),
    )
    tokens = MediaTokens(settings.secret_key.get_secret_value())
    media = MediaService(backend_for(settings), tokens, sessions, calls, config)
    peripheral_events.add(media)
    return media


def backend_for(settings: Settings) -> MediaBackend:
    if settings.media_backend == "janus":
        try:
            janus = import_module("cloud.media.janus")
        except ImportError:
            raise ConfigError(
                "media_backend=janus, but this build has no Janus backend (cloud/media/janus.py)"
            ) from None
        backend: MediaBackend = janus.build_backend(settings)
        return backend
    return AiortcRelay(relay_config(settings))


def relay_config(settings: Settings) -> RelayConfig:
    return RelayConfig(
        ice_servers=tuple(
            RTCIceServer(urls=s.urls, username=s.username or None, credential=s.credential or None)
            for s in settings.media_ice_servers
        ),
        stall_s=settings.media_stall_s,
        publisher_grace_s=settings.media_publisher_grace_s,
        max_viewers=settings.media_max_viewers,
        viewer_connect_s=settings.media_viewer_connect_s,
        passthrough=settings.media_passthrough,
    )
