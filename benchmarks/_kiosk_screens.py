"""``benchmarks/kiosk.py --part screens``: how long each kiosk screen takes to be ready.

The demo world (cloud, one pilot kiosk's agent serving its app, the outside systems'
simulators) runs in this process; Chromium opens the kiosk's app on a 1080×1920 touch screen.
"Ready" is: the screen's content is drawn and the requests it started have answered (an
init script counts the page's fetches). Measured: the shell's first load, then each tile's
screen opened from home, ``--rounds`` times each; reported p50/p95/max per screen.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from kfleet.world.demo import PILOT_KIOSKS, DemoOptions, running_demo
from kfleet.world.net import free_port

KIOSK = "hhl-kiosk-01"
#: keeps the page's fetches in flight with their start (the screens call the agent with fetch
#: only); the shell's own long-lived requests (the status poll) started before a screen opened
INIT = """
window.__pending = new Set();
const f = window.fetch.bind(window);
window.fetch = (...a) => {
  const call = { at: performance.now() };
  window.__pending.add(call);
  return f(...a).finally(() => window.__pending.delete(call));
};
"""
#: resolves once the screen ``id`` is drawn and every request started since it was opened has
#: answered (a request the shell had in flight before does not count); gives up after 10 s
#: and returns -1
WAIT_READY = """async (id) => {
  const t0 = performance.now();
  if (id !== "home") Kiosk.go(id);
  await new Promise((r) => requestAnimationFrame(() => r()));
  for (;;) {
    const now = performance.now();
    if (now - t0 > 10000) return -1;
    const drawn = document.body.dataset.screen === id
      && document.getElementById("k-screen").childElementCount > 0;
    const waiting = [...window.__pending].some((c) => c.at >= t0);
    if (drawn && !waiting) return now - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
}"""


def _stats(measured: list[float]) -> dict[str, float]:
    values = [v for v in measured if v >= 0]
    if not values:
        return {"not_ready_in_10s": len(measured)}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "not_ready_in_10s": len(measured) - len(values),
    }


async def _screens(page: Page) -> list[str]:
    ids: list[str] = await page.eval_on_selector_all(
        "button.tile[data-screen]", "els => els.map(e => e.dataset.screen)"
    )
    return ids


async def measure_screens(rounds: int, broker_url: str | None) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kfleet-bench-screens-") as tmp:
        opts = DemoOptions(
            data_dir=Path(tmp),
            broker_url=broker_url,
            port=0,
            kiosks=[k for k in PILOT_KIOSKS if k.device_id == KIOSK],
            screens={KIOSK: {"enabled": True, "port": port}},
            kiosk_sims=True,
        )
        url = f"http://127.0.0.1:{port}/kiosk"
        async with running_demo(opts) as world, async_playwright() as pw:
            screen = world.kiosks[0].agent.screen
            await asyncio.wait_for(screen.settled.wait(), 30)
            chromium = shutil.which("chromium") or "/usr/bin/chromium"
            browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            ctx = await browser.new_context(
                viewport={"width": 1080, "height": 1920}, has_touch=True, bypass_csp=True
            )
            await ctx.add_init_script(INIT)
            page = await ctx.new_page()
            loads: list[float] = []
            times: dict[str, list[float]] = {}
            for _ in range(rounds):
                await page.goto(url)
                await page.wait_for_selector("body[data-ready='1']")
                loads.append(
                    await page.evaluate(
                        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                    )
                )
                for sid in await _screens(page):
                    await page.evaluate("Kiosk.home()")
                    times.setdefault(sid, []).append(await page.evaluate(WAIT_READY, sid))
            await browser.close()
    return {
        "rounds": rounds,
        "shell_load": _stats(loads),
        "screens": {sid: _stats(v) for sid, v in sorted(times.items())},
    }
