"""The channels' configuration: a JSON list, each entry a webhook, MQTT or SMS channel.

Parsed once at startup; a mistake is a :class:`~cloud.errors.ConfigError` that says which
entry and what is wrong. Secrets (webhook signing secret, gateway API key) are ``SecretStr``:
they never appear in a log line, an error or an API answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from cloud.errors import ConfigError
from protocols.topics import ROOT

#: where the MQTT channel publishes; the cloud's broker identity may publish only here
MQTT_NOTIFY_PREFIX = f"{ROOT}/notify/"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{6,20}$")]
HTTP_URL = r"^https?://[^\s/?#]+(/[^\s]*)?$"


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="what alert rules name")]


class WebhookConfig(_Channel):
    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=HTTP_URL)]
    secret: Annotated[SecretStr, Field(min_length=16, description="the HMAC-SHA256 key")]
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0


class MqttConfig(_Channel):
    type: Literal["mqtt"]
    topic: Annotated[str, Field(pattern=r"^kf/v1/notify/[^#+\s]+$")]
    qos: Literal[0, 1] = 1
    retain: bool = False


class SmsConfig(_Channel):
    type: Literal["sms"]
    #: the gateway's base URL; messages go to ``{url}/v1/sms/send``
    url: Annotated[str, Field(pattern=HTTP_URL)]
    api_key: Annotated[SecretStr, Field(min_length=8)]
    template_id: Annotated[str, Field(min_length=1, max_length=64)]
    numbers: Annotated[list[Phone], Field(min_length=1)]
    sign_name: Annotated[str, Field(min_length=1, max_length=32)] = "kfleet"
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0


ChannelConfig = Annotated[WebhookConfig | MqttConfig | SmsConfig, Field(discriminator="type")]
_LIST = TypeAdapter(list[ChannelConfig])


def parse_channels(text: str, source: str = "KFLEET_NOTIFY_CHANNELS") -> list[ChannelConfig]:
    """The channels in ``text`` (a JSON list); names must be unique."""
    try:
        configs = _LIST.validate_python(json.loads(text or "[]"))
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{source} is not JSON ({err.msg} at line {err.lineno} column {err.colno}): it "
            "must be a list of channels, see docs/notifications.md"
        ) from None
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(
            f"{source} has bad channels ({problems}); see docs/notifications.md"
        ) from None
    names = [c.name for c in configs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{source} names channel(s) {twice} more than once; names must be unique")
    return configs


def load_channels(inline: SecretStr | None, file: Path | None) -> list[ChannelConfig]:
    """From the inline setting, else the file, else none."""
    if inline is not None and inline.get_secret_value().strip():
        return parse_channels(inline.get_secret_value())
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot read KFLEET_NOTIFY_CHANNELS_FILE {str(file)!r}: {err.strerror}"
            ) from None
        return parse_channels(text, f"KFLEET_NOTIFY_CHANNELS_FILE {str(file)!r}")
    return []
