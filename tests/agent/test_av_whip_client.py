"""The agent's WHIP client against endpoints that answer badly, and the ``[av]`` settings'
refusals: each failure is a short reason that says what the endpoint did, and whether trying
again may help."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from edge_agent.av.settings import AvSettings
from edge_agent.av.whip import StreamError, WhipClient, WhipRefused
from edge_agent.config import parse_config
from edge_agent.errors import ConfigError
from kfleet.world.net import free_port

OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"


def answer(status: int, body: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=body, headers=headers)


ROUTES = {
    "/ok": lambda: answer(201, "v=0\r\n", Location="sessions/7"),
    "/no-location": lambda: answer(201, "v=0\r\n"),
    "/not-sdp": lambda: answer(201, "<html>hello</html>", Location="/x"),
    "/elsewhere": lambda: answer(201, "v=0\r\n", Location="http://evil.example/x"),
    "/busy": lambda: answer(503, "media server starting\nline two"),
    "/bad": lambda: web.json_response({"message": "not an SDP offer\x07"}, status=422),
    "/gone": lambda: web.json_response({"detail": "no such stream"}, status=404),
}


@pytest.fixture
async def base() -> AsyncIterator[str]:
    app = web.Application()
    for path, make in ROUTES.items():

        async def handle(request: web.Request, make: object = make) -> web.Response:
            assert request.headers["Content-Type"] == "application/sdp"
            assert request.headers["Authorization"] == "Bearer tok"
            return make()  # type: ignore[operator, no-any-return]

        app.router.add_post(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_relative_location_resolves_against_the_whip_url(base: str) -> None:
    session = await WhipClient(5).publish(f"{base}/ok", "tok", OFFER)
    assert session.url == f"{base}/sessions/7" and session.answer == "v=0\r\n"


@pytest.mark.parametrize(
    ("path", "reason", "retry"),
    [
        ("/no-location", "whip endpoint answered 201 but no Location header", True),
        ("/not-sdp", "whip endpoint answered 201 but its body is not an SDP answer", True),
        ("/elsewhere", "whip endpoint's Location points to another host", False),
        ("/busy", "whip endpoint answered 503: media server starting", True),
        ("/bad", "whip endpoint answered 422: not an SDP offer", False),
        ("/gone", "whip endpoint answered 404: no such stream", True),
    ],
)
async def test_bad_answers_are_short_reasons(
    base: str, path: str, reason: str, retry: bool
) -> None:
    with pytest.raises(StreamError) as caught:
        await WhipClient(5).publish(base + path, "tok", OFFER)
    assert (caught.value.reason, caught.value.retry) == (reason, retry)


async def test_an_endpoint_nobody_listens_on_is_unreachable_and_worth_retrying() -> None:
    with pytest.raises(StreamError) as caught:
        await WhipClient(2).publish(f"http://127.0.0.1:{free_port()}/whip/x", "tok", OFFER)
    assert caught.value.reason.startswith("whip endpoint unreachable: ")
    assert caught.value.retry and not isinstance(caught.value, WhipRefused)


def test_av_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ConfigError, match=r"av\.ice_host_addresses: 'hall-lan' is not an IP"):
        parse_config(
            {
                "device_id": "kiosk-1",
                "role": "kiosk",
                "site": "qh/hx/golmud/hhl",
                "data_dir": "/tmp/i16-agent/unused",
                "mqtt": {"url": "mqtt://127.0.0.1:1883"},
                "av": {"ice_host_addresses": ["hall-lan"]},
            },
            source="agent.toml",
        )
    with pytest.raises(ValueError, match="reconnect_min_s must not exceed reconnect_max_s"):
        AvSettings(reconnect_min_s=60, reconnect_max_s=10)
    assert AvSettings().max_streams == 2 and AvSettings().ice_host_addresses == []
