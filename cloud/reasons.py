"""Why the cloud refuses or ignores an upstream message: the names counted at
``GET /api/v1/stats/bus`` (``rejected``: the message was wrong; ``ignored``: valid, but it
changes nothing).

Job acks are judged in :mod:`fleet.acks` (``AckRejection``, ``AckIgnored``), births and
states in :mod:`fleet.presence` (``PresenceIgnored``); envelope and topic errors carry the
reason named in :mod:`protocols.errors`. The rest are here.
"""

from __future__ import annotations

from enum import StrEnum


class Rejected(StrEnum):
    UNKNOWN_SITE = "unknown_site"  # a birth names a site that does not exist (yet)
    UNREGISTERED_DEVICE = "unregistered_device"  # unknown device, auto-registration off,
    # or (broker access control on) a device without a live credential: not enrolled
    DEVICE_REVOKED = "device_revoked"  # a birth from a device an operator revoked
    UNKNOWN_DEVICE = "unknown_device"  # state/tele/evt from a device without a birth
    DEVICE_MISMATCH = "device_mismatch"  # a birth names another device than its topic
    SRC_MISMATCH = "src_mismatch"  # an envelope's src is not its topic's device
    BAD_CHANNEL = "bad_channel"  # a message type the cloud does not take upstream
    BAD_EVENT = "bad_event"  # a peripheral_health event without peripheral or health
    NOT_BYTES = "not_bytes"  # a payload that is not bytes
    HANDLER_ERROR = "handler_error"  # applying the message failed (logged)
    UNKNOWN_CALL = "unknown_call"  # a call answer for a call that does not exist
    CALL_WRONG_DEVICE = "ack_wrong_device"  # a call answered by another device


class Ignored(StrEnum):
    OWN_COMMAND = "own_command"  # the subscription also sees what the cloud sends
    RETAINED_CLEARED = "retained_cleared"  # an empty retained message (a device cleaning up)
    DUPLICATE_MESSAGE = "duplicate_message"  # an envelope id already applied
    UNKNOWN_PERIPHERAL = "unknown_peripheral"  # a health event for a peripheral not in the birth
    STALE_CALL_ACK = "stale_call_ack"  # a call answer after it settled
