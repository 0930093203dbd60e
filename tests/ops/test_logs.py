"""Structured logs: one JSON object per line, and every line written while a request is
handled carries its request id (the caller's ``X-Request-ID``, or one made up) and trace id
(from ``traceparent``); the response echoes them."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from cloud.logs import JsonFormatter, handler
from cloud.settings import Settings
from tests.cloudkit import running_cloud

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    sink = handler("json")
    sink.setStream(out)  # type: ignore[attr-defined]
    root = logging.getLogger()
    root.addHandler(sink)
    level = root.level
    root.setLevel(logging.DEBUG)  # setLevel: it also clears the loggers' cached levels
    try:
        yield out
    finally:
        root.removeHandler(sink)
        root.setLevel(level)


def parsed(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]  # each line one object


async def test_every_line_of_a_request_carries_its_request_and_trace_id(
    tmp_path: Path, mosquitto_url: str, json_lines: io.StringIO
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, log_format="json")
    async with running_cloud(settings) as (_cloud, http):
        app: FastAPI = http._transport.app  # type: ignore[attr-defined]

        @app.get("/test-log")
        async def noisy() -> dict[str, str]:
            logging.getLogger("cloud.test").warning("inside the handler", extra={"n": 7})
            return {}

        r = await http.get(
            "/test-log", headers={"X-Request-ID": "req-42.a", "traceparent": TRACEPARENT}
        )
        assert r.headers["X-Request-ID"] == "req-42.a"
        assert r.headers["traceparent"] == TRACEPARENT
        made = await http.get("/api/v1/devices", headers={"X-Request-ID": "bad id\x7f!"})
        assert len(made.headers["X-Request-ID"]) == 32  # refused as given, a new one made
    lines = parsed(json_lines)
    inside = [x for x in lines if x["msg"] == "inside the handler"]
    assert inside and inside[0]["request_id"] == "req-42.a" and inside[0]["trace_id"] == TRACE
    assert inside[0]["extra"] == {"n": 7} and inside[0]["level"] == "warning"
    assert set(inside[0]) >= {"ts", "level", "logger", "msg", "request_id", "trace_id"}
    access = [x for x in lines if x["logger"] == "cloud.http" and "/test-log" in x["msg"]]
    assert access[0]["request_id"] == "req-42.a" and access[0]["extra"]["status"] == 200
    other = [x for x in lines if x["logger"] == "cloud.http" and "/api/v1/devices" in x["msg"]]
    assert other[0]["request_id"] == made.headers["X-Request-ID"]
    # lines outside any request (the workers') carry no request id
    outside = [x for x in lines if x["logger"].startswith("cloud.bus")]
    assert outside and all(x["request_id"] is None for x in outside)


def test_the_formatter_survives_odd_extras_and_exceptions() -> None:
    record = logging.LogRecord("cloud.x", logging.ERROR, __file__, 1, "boom %s", ("x",), None)
    record.thing = object()
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "boom x" and "ValueError: bad" in line["exc"]
    assert line["extra"]["thing"].startswith("<object")
