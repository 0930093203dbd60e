"""The agent's last check before a message enters the outbox: no raw ID number or name
leaves the device, whatever a driver, a job or an outside system put into an event or ack.

The ID-card driver already sends masked fields only (``docs/privacy.md``); this catches the
rest (a reason, result or telemetry tag that quotes a citizen's data) with the same rules the
cloud applies (``protocols.privacy``). What was masked is logged as where and what, never the
value. (The birth is published by the session directly; the cloud masks it on arrival.)
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from protocols.privacy import describe, redact

log = logging.getLogger(__name__)


def masked(body: BaseModel) -> BaseModel:
    """``body`` with personal data masked; the same object if it had none."""
    safe = redact(body, note=False)
    if safe.findings:
        log.warning(
            "personal data masked in an outgoing %s (%s): the driver or job that wrote it must "
            "mask it itself; tell the agent's maintainers",
            describe(body),
            "; ".join(map(str, safe.findings)),
        )
    return safe.body
