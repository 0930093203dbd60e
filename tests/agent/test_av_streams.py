"""The agent's camera streams against a real (tiny) aiortc WHIP endpoint on loopback: frames
whose burned-in counter moves arrive after VP8, sound after Opus; stop leaves the session;
the stream comes back by itself after the endpoint restarts; an unplugged camera ends it
with the reason and the camera's health says so; a refused token fails the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from edge_agent.av.encoder import CappedVp8Encoder
from edge_agent.av.streams import StreamDesk
from edge_agent.av.whip import StreamError
from edge_agent.config import AvSettings
from edge_agent.drivers.av_camera import READER_STOP_S, AvCamera, AvCameraConfig
from edge_agent.peripherals.calls import CallHandler
from protocols.av import StreamData, StreamStartArgs, StreamState
from protocols.envelope import Envelope, MsgType, Sender
from protocols.ice_hosts import restrict_ice_hosts
from protocols.jobs import AckState
from protocols.messages import AckBody, EventBody, EventKind, Health, PeripheralCall
from tests.agent.whip_kit import TOKEN, CountingSource, WhipEndpoint

STREAM = "mon-kiosk-test-1"
W, H, FPS = 640, 480, 15


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    restrict_ice_hosts(["127.0.0.1"])
    yield
    restrict_ice_hosts([])


class Events:
    """The ``stream`` events the desk emits, awaitable."""

    def __init__(self) -> None:
        self.seen: list[StreamData] = []
        self._changed = asyncio.Condition()

    async def emit(self, event: EventBody) -> None:
        assert event.kind is EventKind.STREAM and event.peripheral == "cam"
        async with self._changed:
            self.seen.append(StreamData.model_validate(event.data))
            self._changed.notify_all()

    async def until(self, state: StreamState, after: int = 0, timeout_s: float = 20) -> StreamData:
        def found() -> StreamData | None:
            return next((e for e in self.seen[after:] if e.state is state), None)

        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        event = found()
        assert event is not None
        return event


def settings(**overrides: Any) -> AvSettings:
    values: dict[str, Any] = {
        "ice_host_addresses": ["127.0.0.1"],
        "reconnect_min_s": 0.2,
        "reconnect_max_s": 1.0,
        "liveness_s": 4.0,
    }
    return AvSettings.model_validate(values | overrides)


def args(ep: WhipEndpoint, stream_id: str = STREAM, **overrides: Any) -> StreamStartArgs:
    values: dict[str, Any] = {
        "stream_id": stream_id,
        "whip_url": ep.url(stream_id),
        "token": TOKEN,
        "fps": FPS,
    }
    return StreamStartArgs.model_validate(values | overrides)


@pytest.fixture
def source() -> CountingSource:
    return CountingSource(W, H, FPS, seed=5)


@pytest.fixture
async def camera(source: CountingSource) -> AsyncIterator[AvCamera]:
    cfg = AvCameraConfig(type="av_camera", id="cam", device="synthetic:test", fps=FPS)
    cam = AvCamera(cfg, source)
    yield cam
    await cam.close()


@pytest.fixture
async def endpoint() -> AsyncIterator[WhipEndpoint]:
    async with WhipEndpoint() as ep:
        yield ep


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
async def desk(events: Events) -> AsyncIterator[StreamDesk]:
    d = StreamDesk(settings(), events.emit)
    yield d
    await d.close()


async def test_frames_whose_counter_moves_and_sound_reach_the_endpoint(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint, events: Events
) -> None:
    started = await desk.start(camera, args(endpoint))
    assert started["stream_id"] == STREAM
    assert started["session_url"].startswith(endpoint.url(STREAM) + "/s")
    await events.until(StreamState.LIVE)
    await endpoint.wait_for(lambda: endpoint.frames_after(20) and endpoint.audio_frames > 25)
    counters = endpoint.counters
    assert counters == sorted(counters), "frames arrive in order"
    assert counters[-1] - counters[0] >= 15, f"the counter moves: {counters}"
    assert endpoint.audio_peak > 3000, "the simulator's tone, not silence, survives Opus"


async def test_the_video_encoder_keeps_under_the_asked_bitrate(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    await desk.start(camera, args(endpoint, max_bitrate_kbps=300))
    await endpoint.wait_for(lambda: endpoint.frames_after(5))
    pc = desk.streams[STREAM]._pc
    assert pc is not None
    video = next(s for s in pc.getSenders() if s.track is not None and s.track.kind == "video")
    encoder = getattr(video, "_RTCRtpSender__encoder")  # noqa: B009 (aiortc's private slot)
    assert isinstance(encoder, CappedVp8Encoder)
    assert encoder.codec is not None and encoder.codec.bit_rate <= 300_000
    encoder.target_bitrate = 1_200_000  # what a receiver's REMB estimate would ask
    assert encoder.target_bitrate == 300_000


async def test_a_snapshot_during_a_stream_takes_its_own_frame_and_the_stream_goes_on(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    await desk.start(camera, args(endpoint))
    await endpoint.wait_for(lambda: endpoint.frames_after(3))
    snap = await camera.snapshot()
    assert (snap.width, snap.height) == (W, H)
    seen = len(endpoint.counters)
    await endpoint.wait_for(lambda: endpoint.frames_after(seen + 10))
    assert camera.tally["snapshots"] == 1 and camera.tally["live_failures"] == 0


async def test_stop_leaves_the_whip_session_and_releases_the_camera(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint, events: Events
) -> None:
    await desk.start(camera, args(endpoint))
    await endpoint.wait_for(lambda: endpoint.frames_after(3))
    assert await desk.stop(STREAM) == {"stream_id": STREAM, "was_running": True}
    assert endpoint.deleted == ["s1"] and not endpoint.sessions
    ended = await events.until(StreamState.ENDED)
    assert ended.reason == "stopped"
    assert camera._reader is None, "no stream left: the camera is not read any more"
    assert await desk.stop(STREAM) == {"stream_id": STREAM, "was_running": False}


async def test_a_second_start_is_the_same_stream_and_the_limit_holds(
    events: Events, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    desk = StreamDesk(settings(max_streams=1), events.emit)
    try:
        first = await desk.start(camera, args(endpoint))
        again = await desk.start(camera, args(endpoint))
        assert again == first and endpoint.posts == 1
        with pytest.raises(StreamError, match=r"already carries 1 streams.*max_streams"):
            await desk.start(camera, args(endpoint, "call-hc-1-kiosk"))
    finally:
        await desk.close()
    ended = await events.until(StreamState.ENDED)
    assert ended.reason == "agent stopping"


async def test_the_stream_comes_back_after_the_endpoint_restarts(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint, events: Events
) -> None:
    await desk.start(camera, args(endpoint))
    await events.until(StreamState.LIVE)
    await endpoint.wait_for(lambda: endpoint.frames_after(5))
    await endpoint.stop()
    before = max(endpoint.counters)
    reconnecting = await events.until(StreamState.RECONNECTING)
    assert reconnecting.attempt == 1 and reconnecting.reason
    await endpoint.start()
    n_events = len(events.seen)
    await events.until(StreamState.LIVE, after=n_events)
    await endpoint.wait_for(lambda: max(endpoint.counters) > before + 10)
    assert len(endpoint.sessions) == 1 and STREAM in desk.streams
    assert camera.tally["stream_sessions"] == 2 and camera.tally["stream_reconnects"] >= 1


async def test_a_stream_starting_while_the_last_one_leaves_gets_one_reader(
    camera: AvCamera,
) -> None:
    first = camera.live(FPS)
    frame = await first.next(0, 5)
    leaving = asyncio.create_task(first.close())
    await asyncio.sleep(0)  # the last feed is leaving: its reader is finishing a read
    second = camera.live(FPS)
    async with asyncio.timeout(READER_STOP_S / 2):  # the old reader stepped aside, not cut off
        await leaving
    seqs = [frame.seq]
    for _ in range(8):
        seqs.append((await second.next(seqs[-1], 5)).seq)
    readers = [t for t in asyncio.all_tasks() if t.get_name() == "live-cam" and not t.done()]
    assert len(readers) == 1, "one camera, one reader"
    assert seqs == sorted(set(seqs)), "frame numbers never repeat"
    await second.close()
    assert camera._reader is None


async def test_a_media_server_that_stops_reporting_is_left_for_a_new_session(
    events: Events, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    desk = StreamDesk(settings(liveness_s=2.0), events.emit)
    try:
        await desk.start(camera, args(endpoint))
        await events.until(StreamState.LIVE)
        endpoint.mute_reports()  # connected, consent answered, but no RTCP any more
        reconnecting = await events.until(StreamState.RECONNECTING)
        assert reconnecting.reason == "no receiver reports for 2 s"
        await events.until(StreamState.LIVE, after=events.seen.index(reconnecting))
        assert endpoint.deleted == ["s1"] and list(endpoint.sessions) == ["s2"]
        before = len(endpoint.counters)
        await endpoint.wait_for(lambda: endpoint.frames_after(before + 5))
    finally:
        await desk.close()


async def test_the_stream_comes_back_after_the_network_drops_and_returns(
    events: Events, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    desk = StreamDesk(settings(liveness_s=2.0, whip_timeout_s=0.5), events.emit)
    try:
        await desk.start(camera, args(endpoint))
        await events.until(StreamState.LIVE)
        endpoint.cut_network()
        first = await events.until(StreamState.RECONNECTING)
        assert first.reason == "no receiver reports for 2 s"
        failed = await events.until(StreamState.RECONNECTING, after=events.seen.index(first) + 1)
        assert failed.reason == "whip endpoint unreachable: timed out" and failed.attempt == 2
        endpoint.restore_network()
        await events.until(StreamState.LIVE, after=events.seen.index(failed))
        before = len(endpoint.counters)
        await endpoint.wait_for(lambda: endpoint.frames_after(before + 5))
    finally:
        await desk.close()


async def test_an_unplugged_camera_ends_the_stream_and_its_health_says_so(
    desk: StreamDesk,
    camera: AvCamera,
    source: CountingSource,
    endpoint: WhipEndpoint,
    events: Events,
) -> None:
    hinted = asyncio.Event()
    camera.on_health_change(hinted.set)
    await desk.start(camera, args(endpoint))
    await endpoint.wait_for(lambda: endpoint.frames_after(3))
    source.closed = True  # the USB cable is pulled
    ended = await events.until(StreamState.ENDED)
    assert ended.reason == "camera unplugged"
    async with asyncio.timeout(5):
        await hinted.wait()
    health, reason = await camera.health()
    assert health is Health.OFFLINE and "did not open" in reason
    assert STREAM not in desk.streams
    await endpoint.wait_for(lambda: not endpoint.sessions)  # the session was left, not leaked


class MuteCamera:
    """A camera source without a microphone of its own (a plain UVC camera)."""

    def __init__(self) -> None:
        self._source = CountingSource(W, H, FPS, seed=9)

    def read(self) -> tuple[bool, Any]:
        return self._source.read()

    def release(self) -> None:
        self._source.release()


@pytest.mark.parametrize(
    ("microphone", "why"),
    [
        ("", "it has none of its own and no `microphone` is configured"),
        ("alsa:kfleet_no_such_card", "'alsa:kfleet_no_such_card' did not open"),
    ],
)
async def test_without_a_microphone_the_stream_carries_silence_and_health_says_so(
    desk: StreamDesk, endpoint: WhipEndpoint, microphone: str, why: str
) -> None:
    cfg = AvCameraConfig(
        type="av_camera", id="cam", device="synthetic:x", fps=FPS, microphone=microphone
    )
    camera = AvCamera(cfg, MuteCamera())
    try:
        await desk.start(camera, args(endpoint))
        await endpoint.wait_for(lambda: endpoint.frames_after(5) and endpoint.audio_frames > 10)
        assert endpoint.audio_peak == 0, "silence, not noise"
        health, reason = await camera.health()
        assert health is Health.DEGRADED and why in reason
        assert "Set the camera's `microphone`" in reason
        await desk.stop(STREAM)
        assert await camera.health() == (Health.OK, ""), "no stream, no missing microphone"
    finally:
        await camera.close()


async def test_a_configured_microphone_is_opened_through_ffmpeg(
    desk: StreamDesk, endpoint: WhipEndpoint
) -> None:
    """FFmpeg's ``lavfi`` tone stands in for ``alsa:...``: the same MediaPlayer path."""
    mic = "lavfi:sine=frequency=1000:sample_rate=48000"
    cfg = AvCameraConfig(type="av_camera", id="cam", device="synthetic:x", fps=FPS, microphone=mic)
    camera = AvCamera(cfg, MuteCamera())
    try:
        await desk.start(camera, args(endpoint))
        await endpoint.wait_for(lambda: endpoint.frames_after(5) and endpoint.audio_frames > 25)
        assert endpoint.audio_peak > 1000, "the tone, not silence"
        assert await camera.health() == (Health.OK, "")
    finally:
        await desk.close()
        await camera.close()


async def test_a_camera_unplugged_before_the_start_fails_it(
    desk: StreamDesk, camera: AvCamera, source: CountingSource, endpoint: WhipEndpoint
) -> None:
    source.closed = True
    with pytest.raises(StreamError, match=r"^camera unplugged: the source reports"):
        await desk.start(camera, args(endpoint))
    assert endpoint.posts == 0 and not desk.streams


class GlitchySource(CountingSource):
    """Returns nothing for the next ``glitch`` reads (a USB reset that is over at once)."""

    glitch = 0

    def read(self) -> tuple[bool, Any]:
        if self.glitch:
            self.glitch -= 1
            return False, None
        return super().read()


async def test_a_camera_glitch_that_is_over_at_once_does_not_end_the_stream(
    desk: StreamDesk, endpoint: WhipEndpoint, events: Events
) -> None:
    source = GlitchySource(W, H, FPS, seed=2)
    camera = AvCamera(AvCameraConfig(type="av_camera", id="cam", device="x:y", fps=FPS), source)
    try:
        await desk.start(camera, args(endpoint))
        await endpoint.wait_for(lambda: endpoint.frames_after(3))
        source.glitch = 3  # one whole failed read: the camera is reopened once
        seen = len(endpoint.counters)
        await endpoint.wait_for(lambda: endpoint.frames_after(seen + 10))
        assert source.glitch == 0 and camera.tally["live_failures"] == 0
        assert all(e.state is not StreamState.ENDED for e in events.seen)
    finally:
        await desk.close()
        await camera.close()


async def test_a_camera_unplugged_while_reconnecting_ends_the_stream(
    desk: StreamDesk,
    camera: AvCamera,
    source: CountingSource,
    endpoint: WhipEndpoint,
    events: Events,
) -> None:
    await desk.start(camera, args(endpoint))
    await events.until(StreamState.LIVE)
    await endpoint.stop()  # the media server is gone: no session pulls frames any more
    await events.until(StreamState.RECONNECTING)
    source.closed = True
    ended = await events.until(StreamState.ENDED)
    assert ended.reason == "camera unplugged" and not desk.streams


async def test_a_refused_token_fails_the_start_and_leaves_nothing_running(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint
) -> None:
    with pytest.raises(StreamError) as caught:
        await desk.start(camera, args(endpoint, token="not-the-token-0123456789"))
    assert caught.value.reason == "whip endpoint answered 401: publish token refused"
    assert not desk.streams and camera._reader is None and not endpoint.sessions


async def test_a_repeated_start_hands_its_fresh_token_to_the_next_session(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint, events: Events
) -> None:
    first = await desk.start(camera, args(endpoint))
    await events.until(StreamState.LIVE)
    fresh = "a-fresh-token-before-the-old-one-expires"
    assert await desk.start(camera, args(endpoint, token=fresh)) == first
    await endpoint.stop()
    endpoint.token = fresh  # the old token no longer passes
    await endpoint.start()
    await events.until(StreamState.LIVE, after=len(events.seen))
    assert STREAM in desk.streams and endpoint.posts == 2


async def test_a_token_refused_at_reconnect_ends_the_stream(
    desk: StreamDesk, camera: AvCamera, endpoint: WhipEndpoint, events: Events
) -> None:
    await desk.start(camera, args(endpoint))
    await events.until(StreamState.LIVE)
    await endpoint.stop()
    endpoint.token = "a-new-secret-the-old-token-does-not-match"
    await endpoint.start()
    ended = await events.until(StreamState.ENDED)
    assert ended.reason.startswith("token expired (whip endpoint answered 401")
    assert not desk.streams


class Acks:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[AckBody] = asyncio.Queue()

    async def send(self, ack: AckBody, corr: str | None) -> None:
        self.queue.put_nowait(ack)

    async def send_tracked(self, ack: AckBody, corr: str | None) -> None:
        self.queue.put_nowait(ack)


async def test_stream_calls_through_the_call_handler(
    camera: AvCamera, endpoint: WhipEndpoint, events: Events, tmp_path: Any
) -> None:
    from edge_agent.config import parse_config

    config = parse_config(
        {
            "device_id": "kiosk-test-1",
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(tmp_path),
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "av": {"ice_host_addresses": ["127.0.0.1"]},
        },
        source="test",
    )
    acks = Acks()
    handler = CallHandler({"cam": camera}, acks, events.emit, streams_for=config)
    sender = Sender("cloud-test")

    async def call(call_id: str, action: str, **call_args: Any) -> AckBody:
        body = PeripheralCall(call_id=call_id, peripheral="cam", action=action, args=call_args)
        env: Envelope[Any] = sender.envelope(MsgType.CMD, body)
        await handler.handle(env, body)
        async with asyncio.timeout(20):
            return await acks.queue.get()

    try:
        bad = await call("c1", "stream_start", **args(endpoint, token="x" * 20).model_dump())
        assert (bad.state, bad.reason) == (AckState.FAILED, "peripheral_error")
        assert bad.message == "whip endpoint answered 401: publish token refused"
        ok = await call("c2", "stream_start", **args(endpoint).model_dump())
        assert ok.state is AckState.SUCCEEDED and ok.result["stream_id"] == STREAM
        await endpoint.wait_for(lambda: endpoint.frames_after(3))
        stopped = await call("c3", "stream_stop", stream_id=STREAM)
        assert stopped.state is AckState.SUCCEEDED and stopped.result["was_running"] is True
        assert not endpoint.sessions
    finally:
        await handler.stop()
