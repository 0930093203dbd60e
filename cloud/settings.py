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
from fleet.jobs import RetryPolicy
from protocols.errors import ProtocolError
from protocols.mqtt_url import MqttEndpoint, parse_mqtt_url

#: The placeholder secret. The service refuses to start with it unless ``demo`` is set.
DEFAULT_SECRET = "change-me-kfleet-demo-secret"


class Settings(BaseSettings):
    """Everything the cloud needs to run; one instance per process (or per test)."""

    model_config = SettingsConfigDict(env_prefix="KFLEET_", env_file=".env", extra="ignore")

    data_dir: Path = Path("kfleet-data")
    #: SQLAlchemy async URL; empty means ``sqlite+aiosqlite:///<data_dir>/kfleet.db``.
    database_url: str = ""
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    #: ``$share`` group name so several cloud processes split the upstream traffic (MQTT 5 or a
    #: broker that accepts shared subscriptions from 3.1.1 clients, like Mosquitto).
    mqtt_shared_group: str | None = None
    #: The broker session's client id. ``persistent`` sessions (the default) keep the device
    #: messages sent while the cloud is down or restarting, so none is lost; their default id
    #: is derived from this host and ``data_dir`` (stable across restarts). Several cloud
    #: processes sharing the work (``mqtt_shared_group``) each need their own id.
    mqtt_client_id: str | None = None
    mqtt_session: Literal["persistent", "clean"] = "persistent"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    demo: bool = False
    #: A birth from an unknown device registers it under the site its birth names.
    auto_register_devices: bool = True

    job_ttl_s: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] = 600
    #: Resend a dispatched job the agent has not accepted within this many seconds.
    ack_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    retry_max_attempts: Annotated[int, Field(ge=1, le=100)] = 3
    retry_backoff_s: Annotated[float, Field(ge=0)] = 2.0
    retry_backoff_cap_s: Annotated[float, Field(ge=0)] = 60.0
    #: How often the dispatcher looks for expired, unacknowledged and due jobs.
    dispatch_interval_s: Annotated[float, Field(gt=0)] = 1.0
    #: A job a device accepted but has not reported on for this long is asked about again (the
    #: ``job.run`` re-sent: the device answers with its latest ack), so an ack lost on the way
    #: — say the cloud died right after the broker handed it over — does not leave it hanging.
    reconcile_after_s: Annotated[float, Field(gt=0)] = 120.0
    #: A job sent to a site (not to one device) that its device has not confirmed within
    #: this many seconds — the device went offline — goes to another capable device of the
    #: site. The device never runs it after this deadline (protocol §7). 0 turns it off.
    failover_grace_s: Annotated[float, Field(ge=0, le=24 * 3600)] = 60.0
    #: Extra wait past the grace before moving a job: covers device clock skew and the
    #: cloud's own backlog of acks still to read. Must exceed the worst skew tolerated.
    failover_margin_s: Annotated[float, Field(ge=0, le=3600)] = 30.0

    bus_queue_size: Annotated[int, Field(ge=1)] = 1000
    #: Handler tasks; messages of one device always go to the same one, so stay in order.
    bus_workers: Annotated[int, Field(ge=1, le=64)] = 4
    reconnect_max_s: Annotated[float, Field(gt=0)] = 30.0
    #: A device whose clock is further than this off the cloud's is flagged ``clock_skewed``.
    clock_skew_warn_ms: Annotated[int, Field(ge=1)] = 2000
    metrics_retention_h: Annotated[float, Field(gt=0)] = 72.0
    #: Largest blob (PDF, scan, floor plan) accepted over HTTP; blobs live in ``data_dir/blobs``.
    blob_max_bytes: Annotated[int, Field(ge=1)] = 50 * 1024 * 1024
    #: Largest request body of any other route (JSON); larger ones get 413 before being read.
    api_max_body_bytes: Annotated[int, Field(ge=1)] = 1024 * 1024
    #: Lifetime of the upload grant sent with a snapshot/scan job (0: expired at once, tests).
    upload_grant_ttl_s: Annotated[int, Field(ge=0, le=24 * 3600)] = 900
    #: The URL devices reach this cloud's HTTP API at; empty: ``http://{host}:{port}``.
    public_url: str = ""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    log_level: str = "info"

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
