// kfleet console charts: thin helpers over the vendored uPlot (cloud/console/vendor/uplot),
// shared by the device page and the site overview. Series from GET /api/v1/telemetry/series
// ({name, labels, points: [[ts_ms, v], ...]}) are aligned on one time axis; a missing step is a
// gap (null), never a zero. Every chart is a <figure> with its title and, for tests and screen
// readers, data-series (how many lines) and data-points (how many non-empty values).
"use strict";

const kfCharts = (() => {
  const COLOURS = ["#1f6fb2", "#c0392b", "#27864a", "#8e44ad", "#d35400", "#2c3e50", "#b7950b"];

  // [[ts_ms, v], ...] per series → uPlot's [[t_s...], [v...], [v...]] on the union of times.
  function align(seriesList) {
    const times = [...new Set(seriesList.flatMap((s) => s.points.map((p) => p[0])))];
    times.sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const columns = seriesList.map((s) => {
      const col = new Array(times.length).fill(null);
      for (const [t, v] of s.points) col[index.get(t)] = v;
      return col;
    });
    return [times.map((t) => t / 1000), ...columns];
  }

  const pad = (n) => String(n).padStart(2, "0");
  // Time ticks in 24-hour local time; the date too once the span passes a day.
  function timeTicks(u, splits) {
    const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
    return splits.map((s) => {
      const d = new Date(s * 1000);
      const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
      return span > 86400 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
    });
  }
  const X_SERIES = { value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}" };

  function figure(title, id) {
    const fig = document.createElement("figure");
    fig.className = "kf-chart";
    if (id) fig.id = id;
    const cap = document.createElement("figcaption");
    cap.textContent = title;
    fig.append(cap);
    return fig;
  }

  // A line chart of `seriesList` (each with a `label`) in a new <figure> appended to `parent`.
  // opts: {id, empty (text when there are no points), yRange: [min, max], valueLabel(v)}.
  function lineChart(parent, title, seriesList, opts = {}) {
    const fig = figure(title, opts.id);
    parent.append(fig);
    const points = seriesList.reduce((n, s) => n + s.points.length, 0);
    fig.dataset.series = String(seriesList.length);
    fig.dataset.points = String(points);
    if (!points) {
      const p = document.createElement("p");
      p.className = "muted kf-chart-empty";
      p.textContent = opts.empty || "—";
      fig.append(p);
      return null;
    }
    const width = Math.max(320, Math.min(parent.clientWidth || 640, 900) - 16);
    const y = { auto: !opts.yRange };
    if (opts.yRange) y.range = opts.yRange;
    const valueAxis = { size: 56 };
    if (opts.valueLabel) valueAxis.values = (u, ticks) => ticks.map(opts.valueLabel);
    const plot = new uPlot({
      width, height: opts.height || 200,
      scales: { x: { time: true }, y },
      series: [X_SERIES, ...seriesList.map((s, i) => ({
        label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false,
        stepped: opts.stepped ? 1 : undefined,
      }))],
      axes: [{ values: timeTicks }, valueAxis],
      legend: { live: true },
    }, align(seriesList), fig);
    fig.kfPlot = plot;
    return plot;
  }

  // Grouped bars of counts per bucket: `columns` is {key: [n per bucket]}, `times` the bucket
  // starts (Date or ISO), `bucketS` their width. Each key's bar sits side by side inside its
  // bucket (from its start to its end on the time axis),
  // drawn by uPlot's bars path builder with displacements in data units.
  function barChart(parent, title, times, columns, opts = {}) {
    const fig = figure(title, opts.id);
    parent.append(fig);
    const keys = Object.keys(columns);
    const total = keys.reduce((n, k) => n + columns[k].reduce((a, b) => a + b, 0), 0);
    fig.dataset.series = String(keys.length);
    fig.dataset.points = String(total);
    const width = Math.max(320, Math.min(parent.clientWidth || 640, 900) - 16);
    const bucket = opts.bucketS || 3600;
    const slot = (bucket * 0.8) / Math.max(keys.length, 1);
    const barsOf = (i) => uPlot.paths.bars({ disp: {
      x0: { unit: 1, values: (u) => u.data[0].map((t) => t + bucket * 0.1 + i * slot) },
      size: { unit: 1, values: (u) => u.data[0].map(() => slot * 0.9) },
    } });
    const plot = new uPlot({
      width, height: opts.height || 200,
      scales: {
        x: { time: true, range: (u, min, max) => [min, max + bucket] },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      series: [X_SERIES, ...keys.map((k, i) => ({
        label: opts.labelOf ? opts.labelOf(k) : k, stroke: COLOURS[i % COLOURS.length],
        fill: COLOURS[i % COLOURS.length], paths: barsOf(i), points: { show: false },
      }))],
      axes: [{ values: timeTicks }, { size: 48 }],
    }, [times.map((t) => new Date(t).getTime() / 1000), ...keys.map((k) => columns[k])], fig);
    fig.kfPlot = plot;
    return plot;
  }

  return { align, lineChart, barChart };
})();
