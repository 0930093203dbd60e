"""Request and response bodies of the alerts API (alerts, silences, alert rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StrictBool
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from cloud.api.alert_params_doc import params_branches
from cloud.schemas import DEVICE_ID_PATTERN, SITE_PATH_PATTERN, NumberOnly
from fleet.alert_rules import SEVERITIES, RuleKind

SeverityName = Literal["critical", "major", "minor", "warning", "info"]
assert SeverityName.__args__ == SEVERITIES  # type: ignore[attr-defined]
KindName = Literal[
    "presence", "peripheral", "metric", "job_failure", "stream_stalled", "rollout_halted"
]
assert set(KindName.__args__) == {k.value for k in RuleKind}  # type: ignore[attr-defined]
#: a subject as alerts name them: device:<id>, peripheral:<device>/<id>, site:<path>
SUBJECT_PATTERN = r"^(device|peripheral|site):[a-z0-9][a-z0-9_.=,/-]{0,190}$"
CHANNEL_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f]*$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertOut(BaseModel):
    id: int
    rule_id: int
    rule_name: str
    subject: str
    state: str
    severity: str
    site: str
    device_id: str | None
    summary: str
    value: float | None
    started_at: datetime
    fired_at: datetime | None
    ended_at: datetime | None
    acked_at: datetime | None
    acked_by: str
    ack_note: str
    notices: int
    #: whether an active silence covers it now (it is shown, but nobody is told)
    silenced: bool


class AlertEventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    message: str


class AlertDetail(AlertOut):
    #: every transition and notice, oldest first
    history: list[AlertEventOut]


class AlertPage(BaseModel):
    items: list[AlertOut]
    #: pass as ``cursor`` for the next (older) page; null: no more alerts
    next_cursor: int | None


class AckIn(_In):
    note: Text = ""


class RuleIn(_In):
    """A rule; ``params`` are documented per ``kind`` (one ``oneOf`` branch each) and checked
    by ``fleet.alert_rules`` (a bad one is a 422 naming ``params.<field>``)."""

    name: Annotated[
        str, Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")
    ]
    kind: KindName
    #: the kind's parameters (docs/alerts.md lists them); checked field by field
    params: dict[str, Any] = {}
    severity: SeverityName = "major"
    for_s: Annotated[float, Field(ge=0, le=7 * 86400), NumberOnly] = 0.0
    repeat_s: Annotated[float, Field(ge=0, le=30 * 86400), NumberOnly] = 0.0
    #: the site subtree the rule watches; "" = every site (only a whole-tree scope may)
    site: Annotated[str, Field(pattern=SITE_PATH_PATTERN + "|^$")] = ""
    role: Annotated[str | None, Field(pattern=r"^[a-z_]{1,32}$")] = None
    device_id: Annotated[str | None, Field(pattern=DEVICE_ID_PATTERN)] = None
    channels: Annotated[
        list[Annotated[str, Field(pattern=CHANNEL_PATTERN)]], Field(max_length=10)
    ] = []
    enabled: StrictBool = True

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        handler.resolve_ref_schema(json_schema)["oneOf"] = params_branches()
        return json_schema


class RuleOut(BaseModel):
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    severity: str
    for_s: float
    repeat_s: float
    site: str
    role: str | None
    device_id: str | None
    channels: list[str]
    enabled: bool
    updated_at: datetime
    updated_by: str
    #: whether the caller may change it (its site lies in the caller's scope)
    editable: bool


class RuleList(BaseModel):
    items: list[RuleOut]
    #: the message service's channels, for the rule editor
    channels: list[str]


class SilenceIn(_In):
    """Silence a rule, a subject (``device:<id>`` also covers its peripherals), both, or —
    naming neither — every alert in ``site`` (a maintenance window for a hall)."""

    rule_id: Annotated[int, Field(ge=1, le=2**31 - 1), NumberOnly] | None = None
    subject: Annotated[str, Field(pattern=SUBJECT_PATTERN)] | None = None
    #: silence only alerts in this subtree (default: your whole scope)
    site: Annotated[str, Field(pattern=SITE_PATH_PATTERN)] | None = None
    #: how long from now: a minute to 30 days
    duration_s: Annotated[float, Field(ge=60, le=30 * 86400), NumberOnly]
    reason: Annotated[
        str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")
    ]


class SilenceOut(BaseModel):
    id: int
    rule_id: int | None
    subject: str | None
    site: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    created_at: datetime
    expired_by: str
    active: bool
