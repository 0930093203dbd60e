"""The channels' configuration: a mistake stops the cloud at startup with what and where,
and never repeats a secret; the webhook signature is what the docs say it is."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from cloud.app import create_app
from cloud.errors import ConfigError
from cloud.notify.config import load_channels, parse_channels
from cloud.notify.signature import BadSignature, sign, verify
from cloud.settings import Settings
from tests.notify.receiver import signature_ok

SECRET = "s3cret-s3cret-s3cret"
HOOK = {"type": "webhook", "name": "h", "url": "http://x", "secret": SECRET}
BUS = {"type": "mqtt", "name": "m", "topic": "kf/v1/notify/a"}


def test_a_good_list_parses() -> None:
    got = parse_channels(
        json.dumps(
            [
                {
                    "type": "webhook",
                    "name": "hook",
                    "url": "https://ops.example/h",
                    "secret": SECRET,
                },
                {"type": "mqtt", "name": "bus", "topic": "kf/v1/notify/alerts"},
            ]
        )
    )
    assert [(c.name, c.type) for c in got] == [("hook", "webhook"), ("bus", "mqtt")]
    assert SECRET not in repr(got) and SECRET not in str(got)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[{", "is not JSON"),
        ('[{"type": "fax", "name": "f"}]', "bad channels"),
        (json.dumps([{"type": "webhook", "name": "h", "url": "ftp://x", "secret": SECRET}]), "url"),
        (
            json.dumps([{"type": "webhook", "name": "h", "url": "http://x", "secret": "short"}]),
            "secret",
        ),
        (json.dumps([{"type": "mqtt", "name": "m", "topic": "kf/v1/dev/a/cmd"}]), "topic"),
        (
            json.dumps([{"type": "mqtt", "name": "m", "topic": "kf/v1/notify/a"}] * 2),
            "more than once",
        ),
    ],
)
def test_a_mistake_says_what_and_where(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_channels(text)
    assert says in str(err.value)
    assert SECRET not in str(err.value) and "'short'" not in str(err.value)


def test_the_cloud_refuses_to_start_with_bad_channels(tmp_path: Path) -> None:
    bad = json.dumps([{"type": "sms", "name": "s", "url": "http://gw", "api_key": SECRET}])
    settings = Settings(data_dir=tmp_path, demo=True, notify_channels=SecretStr(bad))
    with pytest.raises(ConfigError) as err:
        create_app(settings)
    assert "numbers" in str(err.value) and "template_id" in str(err.value)
    assert SECRET not in str(err.value)


def test_channels_from_a_file(tmp_path: Path) -> None:
    file = tmp_path / "channels.json"
    file.write_text(json.dumps([{"type": "mqtt", "name": "bus", "topic": "kf/v1/notify/a"}]))
    assert [c.name for c in load_channels(None, file)] == ["bus"]
    with pytest.raises(ConfigError, match="cannot read"):
        load_channels(None, tmp_path / "missing.json")
    assert load_channels(None, None) == []


def test_the_signature_matches_the_documented_recipe() -> None:
    body = '{"key":"k","summary":"缺纸"}'.encode()
    header = sign(SECRET.encode(), 1_800_000_000, body)
    assert verify(SECRET.encode(), header, body, now=1_800_000_100) == 1_800_000_000
    with pytest.raises(BadSignature, match="does not match"):
        verify(SECRET.encode(), header, body + b" ", now=1_800_000_000)
    with pytest.raises(BadSignature, match="more than"):
        verify(SECRET.encode(), header, body, now=1_800_001_000)  # a replay, 1000 s later
    fresh = sign(SECRET.encode(), int(time.time()), body)
    assert signature_ok(SECRET.encode(), fresh, body)  # the docs' sample agrees
    assert not signature_ok(b"another-secret", fresh, body)
