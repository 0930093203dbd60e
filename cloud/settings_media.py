"""Settings of the media plane (issue 16, docs/media.md). Mixed into
:class:`cloud.settings.Settings` (``KFLEET_*``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from protocols.av import IceServer


class MediaSettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    media_backend: Annotated[
        Literal["aiortc", "janus"],
        Field(
            description="What relays audio and video: aiortc (in the cloud process, "
            "forwarding encoded frames) or janus (an external Janus server, docs/media-janus.md)."
        ),
    ] = "aiortc"
    media_ice_servers: Annotated[
        list[IceServer],
        Field(
            max_length=4,
            description='ICE servers (JSON list of {"urls": [...], "username", "credential"}) '
            "for the cloud's peer connections and handed to devices in stream_start. Empty: "
            "host candidates only (no public STUN server is ever used by default).",
        ),
    ] = []
    media_ice_host_addresses: Annotated[
        list[str],
        Field(
            max_length=16,
            description="The cloud's addresses offered as ICE host candidates (JSON list of IP "
            'literals, e.g. ["10.0.0.5"]). Empty: every interface.',
        ),
    ] = []
    media_stall_s: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Seconds without video from a publisher before its stream is "
            "reported stalled (health, /metrics, the live page).",
        ),
    ] = 5.0
    media_publisher_grace_s: Annotated[
        float,
        Field(
            ge=0,
            le=600,
            description="Seconds a stream whose publisher left waits for it to come back "
            "(viewers stay connected and see the new picture) before it ends.",
        ),
    ] = 15.0
    media_max_viewers: Annotated[
        int,
        Field(ge=1, le=1000, description="The most viewers one stream may have at once."),
    ] = 50
    media_viewer_connect_s: Annotated[
        float,
        Field(
            gt=0,
            le=300,
            description="Seconds a WHEP viewer has to connect after its offer before the "
            "relay ends its session.",
        ),
    ] = 20.0
    media_passthrough: Annotated[
        bool,
        Field(
            description="Forward the publisher's encoded frames to viewers (no decoding). "
            "false: decode and re-encode per viewer (much more CPU; for diagnosis only).",
        ),
    ] = True
    media_publish_token_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=86_400,
            description="Lifetime of a publish token (a device's or operator's WHIP). A "
            "device's stream stops at its token's expiry; the cloud restarts monitor streams.",
        ),
    ] = 43_200
    media_view_token_ttl_s: Annotated[
        int,
        Field(
            ge=60,
            le=86_400,
            description="Default lifetime of a view token (a WHEP link without an account) "
            "when the request names none.",
        ),
    ] = 3_600
    media_call_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=60,
            description="Seconds the cloud waits for a device to answer stream_start (its "
            "WHIP session made) before the start is reported failed.",
        ),
    ] = 15.0

    @field_validator("media_ice_host_addresses")
    @classmethod
    def _ip_literals(cls, value: list[str]) -> list[str]:
        import ipaddress

        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"{address!r} is not an IP address literal") from None
        return value
