"""Look inside a uPlot chart the console drew: how many series and points uPlot holds, how many
canvas pixels carry the first series' colour (so the line or bars were really drawn, not just
the axes: only the plot's upper half is counted), and the time the legend shows under the
cursor (the time axis in words)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Page

#: the legend's time under the cursor (charts.js: ``{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}``)
LEGEND_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

_PROBE = """
(id) => {
  const fig = document.getElementById(id);
  const plot = fig && fig.kfPlot;
  if (!plot) return null;
  const canvas = fig.querySelector("canvas");
  const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const [r, g, b] = [0x1f, 0x6f, 0xb2];  // charts.js COLOURS[0]
  // only the upper half of the plot: axes, grid and zero-height bars live below it
  const top = Math.round(plot.bbox.top), mid = Math.round(plot.bbox.top + plot.bbox.height / 2);
  let painted = 0;
  for (let i = top * canvas.width * 4; i < mid * canvas.width * 4; i += 4) {
    const near = Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b);
    if (px[i + 3] > 200 && near < 60) painted++;
  }
  const values = plot.data.slice(1).flat().filter((v) => v !== null && v !== undefined);
  return {
    series: plot.series.length - 1,
    labels: plot.series.slice(1).map((s) => s.label),
    times: plot.data[0].length,
    values: values.length,
    max_value: values.length ? Math.max(...values) : null,
    first_time_s: plot.data[0][0],
    last_time_s: plot.data[0][plot.data[0].length - 1],
    painted,
  };
}
"""


@dataclass(frozen=True)
class ChartState:
    series: int
    labels: list[str]
    times: int
    values: int
    max_value: float | None
    first_time_s: float
    last_time_s: float
    painted: int


async def chart_state(page: Page, fig_id: str) -> ChartState | None:
    """What uPlot holds and drew in ``<figure id=fig_id>``; None when no chart was drawn."""
    raw = await page.evaluate(_PROBE, fig_id)
    return None if raw is None else ChartState(**raw)


async def legend_time(page: Page, fig_id: str) -> str:
    """Hover the middle of the plot and read the time the legend shows there."""
    over = page.locator(f"#{fig_id} .u-over")
    box = await over.bounding_box()
    assert box is not None, f"#{fig_id} has no plot area"
    await over.hover(position={"x": box["width"] / 2, "y": box["height"] / 2})
    cell = page.locator(f"#{fig_id} .u-legend .u-series").first.locator(".u-value")
    return (await cell.text_content() or "").strip()
