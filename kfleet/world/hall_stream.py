"""The demo's citizens: they take tickets at the three pilots, are called to windows, are
served and (at the window with a rating pad) rate the service.

Everything goes through the same doors a real hall uses: tickets and window operations over
the cloud's REST API, and at 黄河路's window 1 the simulated call button (press 1 = call next,
2 = start, 3 = complete) and the simulated 好差评 pad, whose citizen answers with a plausible
spread of ratings. Times are compressed (a service takes a minute or two) so a visitor sees the
hall move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from cloud.hall.seed import PILOT_HALLS, HallSpec, WindowSpec
from kfleet.world.world import RunningKiosk
from simulators.call_button import CallButtonSim
from simulators.rating_pad import Rating, RatingPadSim, Reason

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class HallStream:
    """How busy the demo halls are (per site) and how long things take, in seconds."""

    arrival_every_s: float = 6.0
    walk_s: float = 4.0
    service_s: tuple[float, float] = (20.0, 60.0)
    idle_poll_s: float = 5.0
    seed: int = 13


#: what the demo's citizens answer on the rating pad: mostly satisfied, now and then not
RATING_SPREAD: tuple[tuple[int, float], ...] = (
    (5, 0.62),
    (4, 0.22),
    (3, 0.09),
    (2, 0.05),
    (1, 0.02),
)
LOW_REASONS = (Reason.WAIT_LONG, Reason.SLOW, Reason.ATTITUDE, Reason.NOT_INFORMED)


def citizen_rating(rng: random.Random) -> Rating:
    """One citizen's answer on the pad."""
    code = rng.choices([c for c, _ in RATING_SPREAD], [w for _, w in RATING_SPREAD])[0]
    reasons = rng.sample(LOW_REASONS, k=rng.randint(1, 2)) if code <= 3 else []
    return Rating(code, reasons, think_s=rng.uniform(1.0, 4.0))


@dataclass
class _Ctx:
    http: httpx.AsyncClient
    stream: HallStream
    rng: random.Random
    sleep: Sleep


async def _post(
    ctx: _Ctx, path: str, site: str, body: dict[str, object] | None = None
) -> httpx.Response | None:
    """POST and log a refusal; None when the cloud did not answer (the demo carries on)."""
    try:
        r = await ctx.http.post(path, params={"site": site}, json=body or {})
    except httpx.HTTPError as err:
        log.info("demo hall: %s at %s failed: %s", path, site, err)
        return None
    if r.status_code >= 400:
        log.info("demo hall: %s at %s answered %s: %s", path, site, r.status_code, r.text[:200])
    return r


async def _has_ticket(ctx: _Ctx, site: str, number: str) -> bool:
    """Whether window ``number`` has a ticket now (the button says nothing back)."""
    try:
        r = await ctx.http.get("/api/v1/hall/monitor", params={"site": site})
        windows = r.json().get("windows", []) if r.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        return False
    return any(w.get("number") == number and w.get("ticket_no") for w in windows)


async def _arrivals(ctx: _Ctx, hall: HallSpec) -> None:
    services = [code for q in hall.queues for code, _, _ in q.services]
    while True:
        await ctx.sleep(ctx.rng.expovariate(1.0 / ctx.stream.arrival_every_s))
        await _post(
            ctx,
            "/api/v1/hall/tickets",
            hall.site,
            {"service": ctx.rng.choice(services), "source": "console"},
        )


async def _open(ctx: _Ctx, site: str, window: WindowSpec) -> None:
    base = f"/api/v1/hall/windows/{window.number}"
    if window.staff:
        await _post(ctx, f"{base}/sign-in", site, {"staff_no": window.staff[0][0]})
    await _post(ctx, f"{base}/status", site, {"status": "open"})


async def _window(
    ctx: _Ctx, site: str, window: WindowSpec, button: CallButtonSim | None, pad: RatingPadSim | None
) -> None:
    """One window's day: call next, wait for the citizen, serve, complete; again."""
    base = f"/api/v1/hall/windows/{window.number}"
    await _open(ctx, site, window)
    while True:
        if button is not None:
            await button.press(1)  # call next, as the staff would
            await ctx.sleep(ctx.stream.walk_s)
            if not await _has_ticket(ctx, site, window.number):
                await ctx.sleep(ctx.stream.idle_poll_s)  # nobody was waiting
                continue
            await button.press(2)  # the citizen sits down: serving
        else:
            called = await _post(ctx, f"{base}/call-next", site)
            if called is None or called.status_code != 200:
                await ctx.sleep(ctx.stream.idle_poll_s)
                continue
            await ctx.sleep(ctx.stream.walk_s)
            await _post(ctx, f"{base}/start", site)
        await ctx.sleep(ctx.rng.uniform(*ctx.stream.service_s))
        if pad is not None:
            pad.script.append(citizen_rating(ctx.rng))
        if button is not None:
            await button.press(3)  # complete: the cloud asks the pad for a rating
        else:
            await _post(ctx, f"{base}/complete", site)


async def run_hall_stream(
    http: httpx.AsyncClient,
    *,
    halls: Sequence[HallSpec] = PILOT_HALLS,
    buttons: dict[str, CallButtonSim] | None = None,
    pads: dict[str, RatingPadSim] | None = None,
    stream: HallStream = HallStream(),
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Run the citizens of ``halls`` until cancelled. ``buttons``/``pads``: the simulated call
    buttons and rating pads by device id (a window bound to one uses it)."""
    ctx = _Ctx(http, stream, random.Random(stream.seed), sleep)
    buttons, pads = buttons or {}, pads or {}
    async with asyncio.TaskGroup() as tg:
        for hall in halls:
            tg.create_task(_arrivals(ctx, hall), name=f"demo-arrivals-{hall.site}")
            for w in hall.windows:
                button = buttons.get(w.call_device) if w.call_device else None
                pad = pads.get(w.rating_device) if w.rating_device else None
                tg.create_task(
                    _window(ctx, hall.site, w, button, pad),
                    name=f"demo-window-{hall.site}-{w.number}",
                )


@contextlib.asynccontextmanager
async def hall_streaming(
    base_url: str,
    token: str,
    kiosks: Sequence[RunningKiosk],
    stream: HallStream = HallStream(),
) -> AsyncIterator[None]:
    """Run the demo's citizens while the demo runs, with the devices' simulated call buttons
    and rating pads."""
    buttons = {k.spec.device_id: k.call_button for k in kiosks if k.call_button}
    pads = {k.spec.device_id: k.rating_pad for k in kiosks if k.rating_pad}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        task = asyncio.create_task(
            run_hall_stream(http, buttons=buttons, pads=pads, stream=stream), name="demo-hall"
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
