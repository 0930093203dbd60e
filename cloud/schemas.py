"""Request and response shapes of the REST API (``/api/v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from cloud.blobs import DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S
from protocols.jobs import CAPABILITY_FOR_KIND, PARAMS_FOR_KIND, Capability, JobKind, JobState

#: Text the API takes never holds a NUL (``nul_guard``, ``strict_json``); a trimmed field must
#: also hold something besides whitespace.
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
#: a site path: 1-5 segments of a-z 0-9 _ - (``protocols.topics``)
SITE_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
SITE_PATH_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}(/[a-z0-9][a-z0-9_-]{0,31}){0,4}$"
#: a device id, as on the wire (``protocols.topics.DEVICE_ID_RE``)
DEVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


def Trimmed(max_length: int) -> Any:
    """A string stripped of surrounding whitespace that must not be empty afterwards (the
    ``pattern`` says so in the OpenAPI document too: a blank string is not schema-valid)."""
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
    )


def _no_bool_or_text(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a number, not a boolean or a string")
    return value


#: For integers given as JSON numbers: no booleans or numeric strings. Pydantic then takes a
#: float only when it is integral (JSON Schema counts ``2.0`` as an integer), never NaN or inf.
NumberOnly = BeforeValidator(_no_bool_or_text)


#: What the cloud looks things up by are matched exactly, never trimmed: their patterns say
#: all a valid one may hold.
Path = Annotated[str, Field(pattern=SITE_PATH_PATTERN, examples=["qh/hx/golmud/hhl"])]
DeviceId = Annotated[str, Field(pattern=DEVICE_ID_PATTERN, examples=["hhl-kiosk-01"])]


#: ``params`` fields the cloud fills in itself (a client that sends them gets a 422).
CLOUD_FILLED = ("uploads", "fetch")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(BaseModel):
    """One invalid field: where (``loc``), what is wrong (``msg``) and its pydantic ``type``."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    status: Annotated[int, Field(examples=[404])]
    #: stable and snake_case: validation_error, not_found, conflict, payload_too_large, ...
    code: Annotated[str, Field(examples=["not_found"])]
    #: one sentence for a person: what is wrong, why, and what to do
    message: str
    #: the invalid fields; non-empty only for a 422 ``validation_error``
    errors: list[ErrorItem] = []
    #: kiosk services only: the sentence for a citizen, in Chinese and English (the kiosk
    #: shows these; ``message`` stays the technician's sentence)
    citizen_message: str | None = None
    citizen_message_en: str | None = None


class DeviceTarget(_In):
    """Run on this device."""

    device_id: DeviceId


class SiteTarget(_In):
    """Run on an online device of this site that has the capability (chosen by the cloud)."""

    site: Path
    #: defaults to the capability the job kind needs (``receipt`` for ``print_receipt``)
    capability: Capability | None = None


#: what a printed or copied page is, for the print audit (统一扎口: every certificate, form,
#: guide and copy recorded with time, device, site, kind, pages and a hash of the content)
PrintPurpose = Literal[
    "certificate",
    "form",
    "guide",
    "copy",
    "receipt",
    "ticket",
    "query",
    "application",
    "payment",
    "other",
]


class JobCreate(_In):
    """``POST /api/v1/jobs``. ``params`` are checked against the kind's model."""

    kind: JobKind
    target: DeviceTarget | SiteTarget
    params: dict[str, Any]
    #: same key + same body → the existing job (200); same key + other body → 409
    idempotency_key: Annotated[str, Trimmed(128)] | None = None
    ttl_s: Annotated[int, Field(ge=1, le=7 * 24 * 3600), NumberOnly] | None = None
    max_attempts: Annotated[int, Field(ge=1, le=20), NumberOnly] | None = None
    #: what a print or copy job is for: the print audit (统一扎口) records it by this kind
    purpose: PrintPurpose | None = None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Document ``params`` per ``kind`` (one ``oneOf`` branch each), so a client — or a
        fuzzer — knows what each kind takes; validation stays with the kind's model."""
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        branches = []
        for kind, model in PARAMS_FOR_KIND.items():
            params = handler(model.__pydantic_core_schema__)
            for field in CLOUD_FILLED:  # the cloud adds these when it sends the job
                handler.resolve_ref_schema(params).get("properties", {}).pop(field, None)
            needed = CAPABILITY_FOR_KIND[kind].value
            # a site target may name only the capability this kind needs
            target_of_kind = {
                "anyOf": [
                    {"required": ["device_id"]},
                    {"properties": {"capability": {"enum": [needed, None]}}},
                ]
            }
            branches.append(
                {
                    "properties": {
                        "kind": {"const": kind.value},
                        "params": params,
                        "target": target_of_kind,
                    }
                }
            )
        target["oneOf"] = branches
        return json_schema


class JobOut(BaseModel):
    id: str
    kind: str
    state: JobState
    target: dict[str, Any]
    device_id: str | None  # the device it was dispatched to
    site: str
    params: dict[str, Any]
    attempts: int
    max_attempts: int
    ttl_s: int
    expires_at: datetime
    next_attempt_at: datetime | None
    #: a cancel was asked while the device may hold the job: it ends on the device's answer
    cancel_requested_at: datetime | None = None
    reason: str
    message: str
    result: dict[str, Any] | None
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    #: the print audit's kind of a print or copy job ("" when not given)
    purpose: str = ""


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    limit: int
    offset: int


class JobEventOut(BaseModel):
    at: datetime
    from_state: str | None
    to_state: str
    attempt: int
    device_id: str | None
    source: str
    reason: str
    message: str


class ResolveIn(_In):
    """An operator's decision on an ``uncertain`` job."""

    action: Literal["reprint", "done", "fail"]
    message: Annotated[str, Field(max_length=1024)] = ""


class SiteCreate(_In):
    parent: Path | None = None
    code: Annotated[str, Field(pattern=SITE_CODE_PATTERN, examples=["hhl"])]
    name: Annotated[str, Trimmed(128)]
    level: Literal["province", "prefecture", "city", "town", "village"]


class SiteNode(BaseModel):
    code: str
    path: str
    name: str
    level: str
    level_no: int
    children: list[SiteNode] = []


class PeripheralOut(BaseModel):
    id: str
    kind: str
    model: str = ""
    capabilities: list[str] = []
    health: str = "unknown"
    reason: str = ""
    updated_at: str | None = None


class DeviceOut(BaseModel):
    id: str
    name: str
    role: str
    site: str
    online: bool
    bd_seq: int | None
    last_seen: datetime | None
    versions: dict[str, Any]
    peripherals: list[PeripheralOut]
    #: cloud minus device clock, ms (negative: the device runs ahead); None until estimated
    clock_offset_ms: int | None = None
    #: the offset exceeds ``KFLEET_CLOCK_SKEW_WARN_MS``
    clock_skewed: bool = False
    #: set when an operator revoked the device (POST /api/v1/devices/{id}/revoke)
    revoked_at: datetime | None = None
    revoked_reason: str = ""
    #: online / silent (says online, quiet for 3 heartbeats) / offline / never_seen
    liveness: str = "never_seen"
    #: when the current liveness began
    liveness_since: datetime | None = None
    #: why, for silent and offline (English; the console translates by ``liveness``)
    liveness_reason: str = ""


class DeviceEventOut(BaseModel):
    at: datetime
    kind: str
    peripheral: str | None
    health: str | None
    reason: str
    data: dict[str, Any]
    #: for device-reported events: the device's own time, and that time on the cloud's clock
    device_ts: int | None = None
    corrected_at: datetime | None = None


class DeviceDetail(DeviceOut):
    events: list[DeviceEventOut]


class CallOut(BaseModel):
    """A peripheral call and, once it settled, the device's answer."""

    id: str
    device_id: str
    peripheral: str
    action: str
    args: dict[str, Any]
    #: sent | running | succeeded | failed | rejected | expired
    state: str
    reason: str
    message: str
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


class BlobTokenIn(_In):
    """``POST /api/v1/blobs/{sha256}/tokens``: a token for one operation on one blob."""

    op: Literal["get", "put"]
    ttl_s: Annotated[int, Field(ge=1, le=MAX_TOKEN_TTL_S), NumberOnly] = DEFAULT_TOKEN_TTL_S


class BlobTokenOut(BaseModel):
    token: str
    #: ``GET`` or ``PUT`` this URL (it carries the token) to move the blob.
    url: str
    expires_at: datetime


class BlobOut(BaseModel):
    sha256: str
    size: int
    created: bool


class HealthOut(BaseModel):
    """``GET /healthz``: 200 when the database answers, 503 (same body) when it does not."""

    status: Literal["ok", "degraded"]
    database: bool
    #: whether the cloud is connected to the MQTT broker (does not change the status code)
    mqtt: bool


class ReadyOut(BaseModel):
    """``GET /readyz``: 200 ``ready``, or 503 ``not_ready`` with every reason."""

    status: Literal["ready", "not_ready"]
    reasons: list[str]
