"""The MQTT topic tree (``kf/v1/...``).

Device ids and site paths are restricted so they can never contain MQTT wildcards,
separators or the ``$`` prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from protocols.errors import TopicError

ROOT = "kf/v1"
DEVICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
SITE_SEGMENT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: one topic level naming a piece of site content (``floorplan``, ``windows``, ``notice.zh``)
CONTENT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class DeviceChannel(StrEnum):
    """The per-device channels, named by the last topic level."""

    BIRTH = "birth"
    STATE = "state"
    TELE = "tele"
    EVT = "evt"
    CMD = "cmd"
    ACK = "ack"


#: Channels an agent publishes on (and the cloud subscribes to).
UPSTREAM = frozenset(
    {
        DeviceChannel.BIRTH,
        DeviceChannel.STATE,
        DeviceChannel.TELE,
        DeviceChannel.EVT,
        DeviceChannel.ACK,
    }
)


def check_device_id(device_id: str) -> str:
    """Return ``device_id`` if it is a valid device id, else raise :class:`TopicError`."""
    if not DEVICE_ID_RE.match(device_id):
        raise TopicError(
            "bad_device_id",
            f"device id {device_id!r} is invalid: use 1-64 characters of a-z, 0-9, '_', '.', '-', "
            "starting with a letter or digit",
        )
    return device_id


def check_site_path(path: str) -> str:
    """Return ``path`` (e.g. ``qh/hx/golmud/hhl``) if valid, else raise :class:`TopicError`."""
    segments = path.split("/")
    if not 1 <= len(segments) <= 5 or not all(SITE_SEGMENT_RE.match(s) for s in segments):
        raise TopicError(
            "bad_site_path",
            f"site path {path!r} is invalid: use 1-5 '/'-separated segments of a-z, 0-9, '_', '-'",
        )
    return path


def device_topic(device_id: str, channel: DeviceChannel) -> str:
    """Topic of one channel of one device."""
    return f"{ROOT}/dev/{check_device_id(device_id)}/{channel.value}"


def check_content_name(name: str) -> str:
    """Return ``name`` if it is a valid site content name (one topic level), else raise."""
    if not CONTENT_NAME_RE.match(name):
        raise TopicError(
            "bad_content_name",
            f"site content name {name!r} is invalid: use 1-64 characters of a-z, 0-9, '_', "
            "'.', '-' (one topic level, no '/'), starting with a letter or digit",
        )
    return name


def site_topic(site_path: str, name: str) -> str:
    """Topic of a piece of content the cloud publishes (retained) for one site: a floor plan,
    window info. Exactly one level below the site path, so a site's content never overlaps
    the content of a site below it (``.../hhl/floorplan`` vs ``.../hhl/east/floorplan``)."""
    return f"{ROOT}/site/{check_site_path(site_path)}/{check_content_name(name)}"


def site_content_filter(site_path: str) -> str:
    """What a device of ``site_path`` subscribes to for its hall's content: that site only,
    not the sites below it."""
    return f"{ROOT}/site/{check_site_path(site_path)}/+"


def parse_site_topic(topic: str) -> tuple[str, str]:
    """Parse ``kf/v1/site/{path}/{name}`` into (site path, content name); raise
    :class:`TopicError` for anything else."""
    parts = topic.split("/")
    if len(parts) < 5 or f"{parts[0]}/{parts[1]}" != ROOT or parts[2] != "site":
        raise TopicError(
            "bad_topic",
            f"topic {topic!r} is not a kfleet site topic ({ROOT}/site/<site path>/<name>)",
        )
    return check_site_path("/".join(parts[3:-1])), check_content_name(parts[-1])


def upstream_filter(shared_group: str | None = None) -> str:
    """The cloud's subscription; with ``shared_group`` a ``$share`` filter (MQTT 5)."""
    flt = f"{ROOT}/dev/+/+"
    return f"$share/{shared_group}/{flt}" if shared_group else flt


#: Presence topics every cloud worker of a ``$share`` group also subscribes to plainly: each
#: worker applies every birth and state, so a dead worker's share of them (which Mosquitto
#: queues in its session until it returns) cannot leave presence wrong (docs/operations.md).
PRESENCE_FILTERS = (f"{ROOT}/dev/+/birth", f"{ROOT}/dev/+/state")


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    """A parsed device topic."""

    device_id: str
    channel: DeviceChannel


def parse_device_topic(topic: str) -> DeviceTopic:
    """Parse ``kf/v1/dev/{device}/{channel}``; raise :class:`TopicError` for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != ROOT or parts[2] != "dev":
        raise TopicError(
            "bad_topic",
            f"topic {topic!r} is not a kfleet device topic ({ROOT}/dev/<device>/<channel>)",
        )
    try:
        channel = DeviceChannel(parts[4])
    except ValueError as err:
        raise TopicError(
            "bad_channel",
            f"topic {topic!r} names unknown channel {parts[4]!r}; "
            f"known: {', '.join(c.value for c in DeviceChannel)}",
        ) from err
    return DeviceTopic(check_device_id(parts[3]), channel)
