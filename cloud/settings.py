"""Settings of the cloud service, read from ``KFLEET_*`` environment variables (or a .env file).

Defaults run a one-machine demo (SQLite in ``data_dir``, a broker on localhost); production sets
``KFLEET_DATABASE_URL`` (``postgresql+psycopg://...``), ``KFLEET_MQTT_URL`` and a real
``KFLEET_SECRET_KEY``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloud.errors import ConfigError
from cloud.notify.settings import NotifySettings
from cloud.settings_alipay import AlipaySettings
from cloud.settings_appointments import AppointmentSettings
from cloud.settings_av import AvSettings
from cloud.settings_banks import BankSettings
from cloud.settings_cases import CaseSettings
from cloud.settings_certs import CertSettings
from cloud.settings_city_queue import CityQueueSettings
from cloud.settings_elderly import ElderlySettings
from cloud.settings_fleet_ops import FleetOpsSettings
from cloud.settings_forms import FormsSettings
from cloud.settings_haocha import HaochaSettings
from cloud.settings_identity import IdentitySettings
from cloud.settings_kiosk import KioskSettings
from cloud.settings_pay import PaySettings
from cloud.settings_print_audit import PrintAuditSettings
from cloud.settings_queries import QueriesSettings
from cloud.settings_ratings import RatingSettings
from cloud.settings_telemetry import TelemetrySettings
from fleet.jobs import RetryPolicy
from protocols.errors import ProtocolError
from protocols.mqtt_url import MqttEndpoint, parse_mqtt_url

#: The placeholder secret. The service refuses to start with it unless ``demo`` is set.
DEFAULT_SECRET = "change-me-kfleet-demo-secret"


class Settings(
    NotifySettings,
    IdentitySettings,
    TelemetrySettings,
    RatingSettings,
    CityQueueSettings,
    HaochaSettings,
    KioskSettings,
    CaseSettings,
    AppointmentSettings,
    QueriesSettings,
    AlipaySettings,
    ElderlySettings,
    CertSettings,  # issue 15 certs: 电子证照库, the verification page
    BankSettings,
    FormsSettings,
    PaySettings,
    PrintAuditSettings,
    AvSettings,  # issue 16: media relay, Janus, monitoring streams, the help desk
    FleetOpsSettings,  # issue 17: staged agent rollouts, the job API's overload refusal
    BaseSettings,
):
    """Everything the cloud needs to run; one instance per process (or per test).

    Every field's ``description`` is its documentation: ``kfleet cloud run --help`` and
    ``docs/settings.md`` are generated from them (``tests/unit/test_settings_doc.py``).
    """

    model_config = SettingsConfigDict(env_prefix="KFLEET_", env_file=".env", extra="ignore")

    data_dir: Annotated[
        Path,
        Field(description="Directory of the SQLite database, the blob store and other state."),
    ] = Path("kfleet-data")
    database_url: Annotated[
        str,
        Field(
            description="SQLAlchemy async URL, e.g. postgresql+psycopg://user:pass@host:5432/db; "
            "empty: sqlite+aiosqlite:///{data_dir}/kfleet.db."
        ),
    ] = ""
    mqtt_url: Annotated[
        str,
        Field(
            description="The broker: mqtt://host:1883 (user:pass@ before the host to log "
            "in), mqtts:// for TLS (port 8883), ?v=5 for MQTT 5."
        ),
    ] = "mqtt://127.0.0.1:1883"
    mqtt_shared_group: Annotated[
        str | None,
        Field(
            description="$share group name, so several cloud processes split the device "
            "traffic (MQTT 5, or a broker like Mosquitto that accepts shared subscriptions "
            "from 3.1.1 clients); unset: one subscriber."
        ),
    ] = None
    mqtt_client_id: Annotated[
        str | None,
        Field(
            description="The broker session's client id; unset: derived from this host and "
            "data_dir, stable across restarts. Processes sharing the work each need their own."
        ),
    ] = None
    mqtt_session: Annotated[
        Literal["persistent", "clean"],
        Field(
            description="persistent: the broker keeps device messages sent while the cloud is "
            "down (clean session off; MQTT 5 session expiry 3600 s); clean: a new session on "
            "every connect (throwaway instances)."
        ),
    ] = "persistent"
    secret_key: Annotated[
        SecretStr,
        Field(
            description="Key of blob tokens and upload grants; required: the cloud refuses "
            "the placeholder default unless demo is set."
        ),
    ] = SecretStr(DEFAULT_SECRET)
    demo: Annotated[
        bool,
        Field(description="Allow the placeholder secret_key (throwaway setups, kfleet demo)."),
    ] = False
    auto_register_devices: Annotated[
        bool,
        Field(
            description="A birth from an unknown device registers the device under the site "
            "its birth names (the site must exist: sites are never created by a birth); "
            "false: such births are refused (unregistered_device)."
        ),
    ] = True

    job_ttl_s: Annotated[
        int,
        Field(
            ge=1,
            le=7 * 24 * 3600,
            description="Seconds a job without its own ttl_s may wait to be accepted by a "
            "device before it expires.",
        ),
    ] = 600
    ack_timeout_s: Annotated[
        float,
        Field(
            gt=0,
            description="Seconds after which a dispatched job.run that the device has not "
            "acknowledged is sent again (same job id and attempt).",
        ),
    ] = 10.0
    retry_max_attempts: Annotated[
        int,
        Field(
            ge=1,
            le=100,
            description="Attempts of a job without its own max_attempts (a failure is retried "
            "only when its reason precedes any side effect).",
        ),
    ] = 3
    retry_backoff_s: Annotated[
        float,
        Field(
            ge=0,
            description="Seconds before the first retry of a failed job; doubled for each "
            "further attempt.",
        ),
    ] = 2.0
    retry_backoff_cap_s: Annotated[
        float, Field(ge=0, description="Longest delay between two attempts of a job, seconds.")
    ] = 60.0
    dispatch_interval_s: Annotated[
        float,
        Field(
            gt=0,
            description="How often, in seconds, the dispatcher looks for expired, "
            "unacknowledged, due and failed-over jobs.",
        ),
    ] = 1.0
    reconcile_after_s: Annotated[
        float,
        Field(
            gt=0,
            description="Seconds after which an accepted or running job that the device has "
            "not reported on is sent again; the device answers with its latest ack, so an ack "
            "lost on the way does not leave the job hanging.",
        ),
    ] = 120.0
    failover_grace_s: Annotated[
        float,
        Field(
            ge=0,
            le=24 * 3600,
            description="Seconds within which a device must confirm a site job (its accepted "
            "ack reaching the broker) or never run it; after grace + margin the job goes to "
            "another capable device of the site. 0 turns failover off.",
        ),
    ] = 60.0
    failover_margin_s: Annotated[
        float,
        Field(
            ge=0,
            le=3600,
            description="Extra seconds past the grace before a site job moves: covers device "
            "clock skew and the cloud's backlog; must exceed the worst skew tolerated.",
        ),
    ] = 30.0

    bus_queue_size: Annotated[
        int,
        Field(
            ge=1,
            description="Received messages each handler task may have waiting before the "
            "reader waits for it.",
        ),
    ] = 1000
    bus_workers: Annotated[
        int,
        Field(
            ge=1,
            le=64,
            description="Handler tasks; all messages of one device go to the same one, so "
            "they stay in order.",
        ),
    ] = 4
    reconnect_max_s: Annotated[
        float,
        Field(
            gt=0,
            description="Longest wait, in seconds, between the cloud's attempts to reconnect "
            "to the broker (full jitter: uniform up to min(this, 0.5 s x 2^failures)).",
        ),
    ] = 30.0
    mqtt_keepalive_s: Annotated[
        int,
        Field(
            ge=5,
            le=3600,
            description="MQTT keepalive of the cloud's broker connection, seconds: a link "
            "that dies silently (no reset) is noticed within about 2x this (a ping goes "
            "unanswered) and reconnected; the broker drops the cloud after 1.5x without a "
            "packet.",
        ),
    ] = 30
    clock_skew_warn_ms: Annotated[
        int,
        Field(
            ge=1,
            description="A device whose clock is further than this many ms off the cloud's "
            "is flagged clock_skewed.",
        ),
    ] = 2000
    alert_eval_interval_s: Annotated[
        float,
        Field(
            gt=0,
            le=60,
            description="Seconds between two rounds of the alert evaluator (a rule edit or a "
            "silence also wakes it); keep it at or below the agents' telemetry "
            "period so an alert opens within one period.",
        ),
    ] = 5.0
    blob_max_bytes: Annotated[
        int,
        Field(
            ge=1,
            description="Largest blob (PDF, scan, floor plan) accepted over HTTP, in bytes "
            "(413 beyond); blobs live in {data_dir}/blobs.",
        ),
    ] = 50 * 1024 * 1024
    api_max_body_bytes: Annotated[
        int,
        Field(
            ge=1,
            description="Largest request body of any other route (JSON), in bytes; a larger "
            "one is refused with 413 before it is read.",
        ),
    ] = 1024 * 1024
    hall_plan_max_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=16 * 1024 * 1024,
            description="Largest floor-plan image (PNG, JPEG, WebP, SVG) accepted by POST "
            "/api/v1/hall/floorplans, in bytes (413 beyond); screens download it.",
        ),
    ] = 8 * 1024 * 1024
    hall_photo_max_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=16 * 1024 * 1024,
            description="Largest staff photo accepted by PUT /api/v1/hall/staff/{no}/photo, "
            "in bytes (413 beyond).",
        ),
    ] = 2 * 1024 * 1024
    upload_grant_ttl_s: Annotated[
        int,
        Field(
            ge=0,
            le=24 * 3600,
            description="Lifetime in seconds of the upload grant sent with each snapshot, "
            "scan and print_receipt job, and of the read token sent with each print_document "
            "job (clamped to 60..3600). 0: expired at once (tests).",
        ),
    ] = 900
    receipt_proof: Annotated[
        bool,
        Field(
            description="Send each print_receipt job an upload grant, for the bytes it printed "
            "(its proof, drawn by the cloud and shown in the console's job detail) when they "
            "are too many to carry in the result; older agents upload a PNG with it. "
            "Turn off while agents older than this cloud still run: they refuse receipt jobs "
            "that carry params.uploads (bad_params)."
        ),
    ] = True
    public_url: Annotated[
        str,
        Field(
            description="The URL devices reach this cloud's HTTP API at (uploads.base, "
            "fetch.url); empty: http://{host}:{port}."
        ),
    ] = ""

    host: Annotated[str, Field(description="Listen address of the HTTP API and console.")] = (
        "127.0.0.1"
    )
    port: Annotated[
        int, Field(ge=0, le=65535, description="Listen port of the HTTP API and console.")
    ] = 8000
    log_level: Annotated[str, Field(description="Log level: debug, info, warning or error.")] = (
        "info"
    )
    log_format: Annotated[
        Literal["json", "text"],
        Field(
            description="json: one JSON object per log line (ts, level, logger, msg, "
            "request_id, trace_id, extra), for log collectors; text: for a terminal."
        ),
    ] = "text"
    liveness_interval_s: Annotated[
        float,
        Field(
            gt=0,
            description="How often, in seconds, the cloud looks for devices that say online "
            "but have sent nothing for three of their heartbeats (marked silent).",
        ),
    ] = 5.0
    metrics_token: Annotated[
        SecretStr,
        Field(
            description="Bearer token a Prometheus scraper sends to GET /metrics; empty: "
            "/metrics answers loopback clients only."
        ),
    ] = SecretStr("")

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        try:
            parse_mqtt_url(value)
        except ProtocolError as err:
            raise ValueError(str(err)) from err
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'kfleet.db'}"
        return self

    @property
    def mqtt(self) -> MqttEndpoint:
        return parse_mqtt_url(self.mqtt_url)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def retry_policy(self) -> RetryPolicy:
        """The default policy; a job's own ``max_attempts`` overrides the attempt count."""
        return RetryPolicy(
            max_attempts=self.retry_max_attempts,
            backoff_s=self.retry_backoff_s,
            backoff_cap_s=self.retry_backoff_cap_s,
        )

    def require_safe_secret(self) -> None:
        """Refuse the placeholder secret outside demo mode (it would sign real tokens)."""
        if self.secret_key.get_secret_value() == DEFAULT_SECRET and not self.demo:
            raise ConfigError(
                "the cloud will not start with the default secret key: set KFLEET_SECRET_KEY "
                "to a long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`), or run `kfleet demo` for a throwaway setup"
            )
