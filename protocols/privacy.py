"""The guard against personal data in what devices report: pure, no I/O.

kfleet promises that an ID number never leaves the reader unmasked. The agent masks card
data itself and the ``idcard_read`` model accepts masked fields only, but every other event
kind, and every ack, carries free-form text and data (a reason, a rating's case number, a
rejected message's text...) that a buggy driver or a department's system could fill with a
raw ID number or a citizen's name. So the agent passes each event and ack it sends, and the
cloud each one it receives (before storing anything), through :func:`redact_event` /
:func:`redact_ack`; it is part of the wire contract (protocol §9), hence here:

- every string (keys included, at any depth) and every integer is searched for resident ID
  numbers (18 digits with a valid check digit, legacy 15 digits; ``protocols.idcard.pii``),
  which are masked in place (``6328**********0137``);
- fields that carry a person's name are masked (``王*``) unless already masked: the name of
  an ``idcard_read`` event, and in event kinds without a typed data model (free-form data)
  any key in :data:`NAME_KEYS`; a ``rating``'s ``name`` must be one of the rating names.

Masking, not rejecting: an event is a fact (a health change, a rating, a button press) that
the operators need; dropping it loses that fact for good, while storing it as is stores the
personal data. A masked copy keeps the fact and loses only what must not be kept. Each
finding says *where* and *what kind* (``data.case_no: id_number_18``), never the value, so it
can be counted and logged. (An ``idcard_read`` event whose fields are not in masked form is
still rejected whole by its protocol model: it has nothing but personal data in it.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel

from protocols.idcard.pii import mask_id_numbers, may_hold_id_number
from protocols.idcard.text import mask_name
from protocols.messages import (
    EVENT_DATA,
    AckBody,
    BirthBody,
    EventBody,
    EventKind,
    TelemetryBody,
)
from protocols.serial_frames import RATING_NAMES

#: keys of free-form data that hold a person's name (compared in lower case)
NAME_KEYS: Final = frozenset(
    {
        "name",
        "full_name",
        "person_name",
        "citizen_name",
        "holder_name",
        "cardholder",
        "applicant",
        "xm",  # 姓名 in pinyin initials, common in department systems
        "姓名",
        "申请人",
        "持证人",
    }
)
#: the key added to a redacted event's ``data``: the findings, for the console to show
REDACTED_KEY: Final = "_redacted"
#: deeper data is replaced by a placeholder rather than searched (no recursion bombs)
MAX_DEPTH: Final = 32

_MASKED_NAME: Final = re.compile(r"\S\*")
T = TypeVar("T")
_RATING_NAMES: Final = frozenset(RATING_NAMES.values()) | {""}


@dataclass(frozen=True, slots=True)
class Finding:
    """Personal data found at ``where`` (``data.case_no``) of kind ``what``: never the value."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class _Walk:
    """One pass over a message's fields, collecting findings."""

    def __init__(self, name_keys: frozenset[str]) -> None:
        self.name_keys = name_keys
        self.findings: list[Finding] = []

    def text(self, value: str, where: str) -> str:
        masked, hits = mask_id_numbers(value)
        self.findings += [Finding(where, hit.form) for hit in hits]
        return masked

    def name(self, value: Any, where: str) -> Any:
        if isinstance(value, str) and value and not _MASKED_NAME.fullmatch(value):
            self.findings.append(Finding(where, "name"))
            return mask_name(value)
        return value

    def value(self, value: Any, where: str, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            self.findings.append(Finding(where, "too_deep"))
            return "<too deep to check>"
        if isinstance(value, str):
            return self.text(value, where)
        if isinstance(value, int) and not isinstance(value, bool):
            masked = self.text(str(value), where)
            return value if masked == str(value) else masked
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return self.mapping(value, where, depth + 1)
        return value

    def mapping(self, data: dict[str, Any], where: str, depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in data.items():
            safe_key = self.text(key, f"{where}.<key>")
            path = f"{where}.{safe_key}"
            item = self.value(item, path, depth)
            if safe_key.lower() in self.name_keys:
                item = self.name(item, path)
            out[safe_key] = item
        return out


@dataclass(frozen=True, slots=True)
class Redacted(Generic[T]):
    """A message fit to store, and what was masked in it (empty: it was clean)."""

    body: T
    findings: tuple[Finding, ...]


def redact_event(body: EventBody, *, note: bool = True) -> Redacted[EventBody]:
    """``body`` with every ID number and unmasked name masked (see the module docstring).

    ``note``: list the findings under :data:`REDACTED_KEY` in ``data`` (the cloud, for the
    console); the agent leaves the shape of ``data`` alone, since a typed kind's model would
    refuse the extra key."""
    walk = _Walk(frozenset() if body.kind in EVENT_DATA else NAME_KEYS)
    data = walk.mapping(dict(body.data), "data")
    if body.kind is EventKind.IDCARD_READ and "name" in data:
        data["name"] = walk.name(data["name"], "data.name")
    if body.kind is EventKind.RATING and data.get("name", "") not in _RATING_NAMES:
        walk.findings.append(Finding("data.name", "name"))
        data["name"] = mask_name(str(data["name"]))
    reason = walk.text(body.reason, "reason")
    peripheral = None if body.peripheral is None else walk.text(body.peripheral, "peripheral")
    if not walk.findings:
        return Redacted(body, ())
    if note:
        data[REDACTED_KEY] = [str(f) for f in walk.findings]
    update = {"data": data, "reason": reason, "peripheral": peripheral}
    return Redacted(body.model_copy(update=update), tuple(walk.findings))


def redact_ack(body: AckBody) -> Redacted[AckBody]:
    """``body`` with every ID number masked in its reason, message and result."""
    walk = _Walk(frozenset())  # a result's ``name`` is often no person (a rating's name)
    update = {
        "reason": walk.text(body.reason, "reason"),
        "message": walk.text(body.message, "message"),
        "result": walk.mapping(dict(body.result), "result"),
    }
    if not walk.findings:
        return Redacted(body, ())
    return Redacted(body.model_copy(update=update), tuple(walk.findings))


def redact_birth(body: BirthBody) -> Redacted[BirthBody]:
    """``body`` with every ID number masked in the device's name and its peripherals' models
    and health reasons (a driver's reason may quote what it read)."""
    walk = _Walk(frozenset())
    peripherals = []
    for i, p in enumerate(body.peripherals):
        seen = len(walk.findings)
        model = walk.text(p.model, f"peripherals[{i}].model")
        reason = walk.text(p.reason, f"peripherals[{i}].reason")
        clean = len(walk.findings) == seen
        peripherals.append(p if clean else p.model_copy(update={"model": model, "reason": reason}))
    name = walk.text(body.name, "name")
    if not walk.findings:
        return Redacted(body, ())
    update = {"name": name, "peripherals": peripherals}
    return Redacted(body.model_copy(update=update), tuple(walk.findings))


def redact_telemetry(body: TelemetryBody) -> Redacted[TelemetryBody]:
    """``body`` with every ID number masked in metric names and tags."""
    texts = (t for m in body.metrics for t in (m.name, *m.tags, *m.tags.values()))
    if not any(map(may_hold_id_number, texts)):  # batches are frequent and large
        return Redacted(body, ())
    walk = _Walk(frozenset())
    metrics = []
    for i, m in enumerate(body.metrics):
        seen = len(walk.findings)
        name = walk.text(m.name, f"metrics[{i}].name")
        tags = walk.mapping(dict(m.tags), f"metrics[{i}].tags") if m.tags else m.tags
        clean = len(walk.findings) == seen
        metrics.append(m if clean else m.model_copy(update={"name": name, "tags": tags}))
    if not walk.findings:
        return Redacted(body, ())
    return Redacted(body.model_copy(update={"metrics": metrics}), tuple(walk.findings))


def redact(body: BaseModel, *, note: bool = True) -> Redacted[BaseModel]:
    """Any upstream message body with its personal data masked: events, acks, births and
    telemetry are searched, other bodies (state) carry no text and come back as they are.
    ``note``: see :func:`redact_event`."""
    if isinstance(body, EventBody):
        event = redact_event(body, note=note)
        return Redacted(event.body, event.findings)
    if isinstance(body, AckBody):
        ack = redact_ack(body)
        return Redacted(ack.body, ack.findings)
    if isinstance(body, BirthBody):
        birth = redact_birth(body)
        return Redacted(birth.body, birth.findings)
    if isinstance(body, TelemetryBody):
        tele = redact_telemetry(body)
        return Redacted(tele.body, tele.findings)
    return Redacted(body, ())


def describe(body: BaseModel) -> str:
    """What a message is, for a log line: ``rating event``, ``ack of job-1``, ``birth``."""
    if isinstance(body, EventBody):
        return f"{body.kind.value} event"
    if isinstance(body, AckBody):
        return f"{body.subject} ack of {body.job_id}"
    if isinstance(body, BirthBody):
        return "birth"
    if isinstance(body, TelemetryBody):
        return "telemetry batch"
    return type(body).__name__
