"""Counters of the MQTT bus worker, served at ``GET /api/v1/stats/bus``."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from cloud.hub import ChangeHub
from protocols.privacy import Finding

log = logging.getLogger("cloud.bus")

#: upper bounds (s) of the ingest lag histogram: device's send (clock-corrected) → handling
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class BusStats:
    """What arrived, what was handled, and what was rejected or ignored, by reason."""

    def __init__(self, hub: ChangeHub | None = None) -> None:
        self._hub = hub
        self.connected = False
        self.received = 0
        self.published = 0
        #: commands handed to the broker whose PUBACK has not come yet
        self.awaiting_puback = 0
        #: commands the broker never confirmed (the link fell or went silent; resent later)
        self.unconfirmed = 0
        self.connects = 0
        self.handled: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        #: personal data masked before storing, by kind (``id_number_18``, ``name``...)
        self.redacted: Counter[str] = Counter()
        #: ingest lag: per bucket of LAG_BUCKETS (cumulative on export), sum and count
        self.lag_counts = [0] * len(LAG_BUCKETS)
        self.lag_sum_s = 0.0
        self.lag_count = 0

    def observe_lag(self, seconds: float) -> None:
        """One message's lag from its sending (on the cloud's clock) to its handling."""
        seconds = max(0.0, seconds)
        for i, bound in enumerate(LAG_BUCKETS):
            if seconds <= bound:
                self.lag_counts[i] += 1
                break
        self.lag_sum_s += seconds
        self.lag_count += 1

    def reject(self, reason: str, detail: str, topic: str = "", *, quiet: bool = False) -> None:
        """Count and log a message we refuse; the worker carries on with the next one.

        ``quiet``: count only (a refusal already logged for this sender)."""
        reason = str(reason)  # a reason enum counts under its plain name
        self.rejected[reason] += 1
        if not quiet:
            log.warning("rejected message on %r (%s): %s", topic, reason, detail)
        if self._hub is not None:
            self._hub.publish("bus:rejected", reason)

    def ignore(self, reason: str, detail: str = "") -> None:
        """Count a valid message that changes nothing (duplicate, stale, about old sessions)."""
        reason = str(reason)
        self.ignored[reason] += 1
        if detail:
            log.debug("ignored message (%s): %s", reason, detail)
        if self._hub is not None:
            self._hub.publish("bus:ignored", reason)

    def redact(self, device_id: str, what: str, findings: Sequence[Finding]) -> None:
        """Count and log personal data masked in a message: where and what, never the value."""
        for finding in findings:
            self.redacted[finding.what] += 1
        log.warning(
            "personal data masked in %s from %s before storing it (%s): the device's software "
            "or a system feeding it sends personal data it must mask; tell its maintainer",
            what,
            device_id,
            "; ".join(map(str, findings)),
        )
        if self._hub is not None:
            self._hub.publish("bus:redacted", what)

    def handle(self, channel: str) -> None:
        self.handled[channel] += 1
        if self._hub is not None:
            self._hub.publish("bus:handled", channel)

    def snapshot(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connects": self.connects,
            "received": self.received,
            "published": self.published,
            "awaiting_puback": self.awaiting_puback,
            "unconfirmed": self.unconfirmed,
            "handled": dict(self.handled),
            "rejected": dict(self.rejected),
            "ignored": dict(self.ignored),
            "redacted": dict(self.redacted),
        }
