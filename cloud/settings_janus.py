"""Settings of the Janus media backend (docs/media-janus.md): where Janus's HTTP API is, its
secrets and the VideoRoom room the cloud's streams live in. Used when ``media_backend`` is
``janus``. Mixed into :class:`cloud.settings.Settings`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr


class JanusSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    janus_url: Annotated[
        str,
        Field(
            pattern=r"^https?://[^\s\x00-\x1f\x7f]{1,300}$",
            description="Janus's HTTP API (its REST transport's base path), e.g. "
            "http://127.0.0.1:8088/janus. Keep it on loopback or a private network: the "
            "cloud is its only client.",
        ),
    ] = "http://127.0.0.1:8088/janus"
    janus_admin_url: Annotated[
        str,
        Field(
            pattern=r"^(https?://[^\s\x00-\x1f\x7f]{1,300})?$",
            description="Janus's admin API, e.g. http://127.0.0.1:7088/admin: stream health "
            "(bitrate, loss) is read there. Empty: health shows viewers and state only.",
        ),
    ] = "http://127.0.0.1:7088/admin"
    janus_api_secret: Annotated[
        SecretStr,
        Field(description="Janus's api_secret (janus.jcfg), sent with every request."),
    ] = SecretStr("")
    janus_admin_secret: Annotated[
        SecretStr,
        Field(
            description="Janus's admin_secret (janus.jcfg), also the VideoRoom plugin's "
            "admin_key: the cloud creates its room with it."
        ),
    ] = SecretStr("")
    janus_room: Annotated[
        int,
        Field(
            ge=1,
            le=2**52,
            description="The VideoRoom room id the cloud publishes every stream into (created "
            "at first use if missing; one publisher per stream).",
        ),
    ] = 1600
    janus_room_publishers: Annotated[
        int,
        Field(
            ge=1,
            le=10_000,
            description="How many streams the room takes at once (VideoRoom's publishers).",
        ),
    ] = 200
    janus_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="Seconds to wait for Janus's answer to one request; a WHIP/WHEP "
            "request then fails with 503 (media unavailable).",
        ),
    ] = 5.0
