// kfleet console, one device (/device?id=<device id>): its metrics charted over 1 h / 24 h /
// 7 d from GET /api/v1/telemetry/series — CPU, memory and disk, temperature, the broker round
// trip, and per peripheral its health, paper and counters (pages, scans...). Switching the range
// fetches again. Labels zh-CN, English with ?lang=en.
"use strict";

const W = {
  "zh-CN": {
    title: "设备", sys: "CPU / 内存 / 磁盘 (%)", temp: "温度 (°C)", rtt: "与消息服务器往返 (ms)",
    health: "外设状态", paper: "纸张", counters: "外设计数", noData: "该时段无数据",
    noDevice: "未指定设备（?id=）", updated: "已更新", error: "无法读取",
    cpu: "CPU", mem: "内存", disk: "磁盘", online: "在线", offline: "离线",
    h0: "正常", h1: "降级", h2: "离线", h3: "未知", p0: "正常", p1: "将尽", p2: "缺纸", p3: "未知",
  },
  en: {
    title: "Device", sys: "CPU / memory / disk (%)", temp: "Temperature (°C)",
    rtt: "Broker round trip (ms)", health: "Peripheral health", paper: "Paper",
    counters: "Peripheral counters", noData: "no data in this range",
    noDevice: "no device given (?id=)", updated: "updated", error: "cannot read",
    cpu: "CPU", mem: "memory", disk: "disk", online: "online", offline: "offline",
    h0: "ok", h1: "degraded", h2: "offline", h3: "unknown",
    p0: "ok", p1: "near end", p2: "out", p3: "unknown",
  },
}[kf.LANG];

//: range → [seconds back, step seconds]
const RANGES = { "1h": [3600, 60], "24h": [86400, 300], "7d": [7 * 86400, 3600] };
const DEVICE = new URLSearchParams(location.search).get("id") || "";
const COUNTER_FALLBACK = ["peripheral.pages"];
let range = "1h";
let generation = 0; // a slow answer for an older range never overwrites the newer one

const label = (s, word) => [s.labels.peripheral, word].filter(Boolean).join(" · ") || s.name;
const codeLabel = (prefix) => (v) => (Number.isInteger(v) ? W[prefix + v] ?? "" : "");

async function series(name, extra = {}) {
  const [back, step] = RANGES[range];
  const end = Date.now();
  const q = new URLSearchParams({ name, device: DEVICE, start: String(end - back * 1000),
    end: String(end), step: String(step), agg: extra.agg || "avg" });
  if (extra.groupBy) q.set("group_by", extra.groupBy);
  const body = await kf.api("/api/v1/telemetry/series?" + q);
  return body.series;
}

async function counterNames() {
  try {
    const body = await kf.api("/api/v1/telemetry/names");
    const names = (body.names || body || []).map((n) => (typeof n === "string" ? n : n.name));
    const counters = names.filter((n) => n.startsWith("peripheral.") &&
      !["peripheral.health", "peripheral.paper"].includes(n));
    return counters.length ? counters : COUNTER_FALLBACK;
  } catch (err) {
    return COUNTER_FALLBACK;
  }
}

async function loadAll() {
  const byPeripheral = { groupBy: "peripheral", agg: "max" };
  const [cpu, mem, disk, temp, rtt, health, paper, names] = await Promise.all([
    series("sys.cpu_pct"), series("sys.mem_pct"), series("sys.disk_pct"),
    series("sys.temp_c"), series("link.rtt_ms"),
    series("peripheral.health", byPeripheral), series("peripheral.paper", byPeripheral),
    counterNames(),
  ]);
  const counters = (await Promise.all(names.map((n) => series(n, byPeripheral))))
    .flatMap((list, i) => list.map((s) => ({ ...s, label: label(s, names[i].slice(11)) })));
  return {
    sys: [...cpu.map((s) => ({ ...s, label: W.cpu })), ...mem.map((s) => ({ ...s, label: W.mem })),
      ...disk.map((s) => ({ ...s, label: W.disk }))],
    temp: temp.map((s) => ({ ...s, label: W.temp })),
    rtt: rtt.map((s) => ({ ...s, label: "RTT" })),
    health: health.map((s) => ({ ...s, label: label(s) })),
    paper: paper.map((s) => ({ ...s, label: label(s) })),
    counters: counters.filter((s) => s.points.length),
  };
}

function draw(data) {
  const box = document.getElementById("charts");
  box.replaceChildren();
  const common = { empty: W.noData };
  kfCharts.lineChart(box, W.sys, data.sys, { ...common, id: "chart-sys", yRange: [0, 100] });
  kfCharts.lineChart(box, W.temp, data.temp, { ...common, id: "chart-temp" });
  kfCharts.lineChart(box, W.rtt, data.rtt, { ...common, id: "chart-rtt" });
  kfCharts.lineChart(box, W.health, data.health, { ...common, id: "chart-health",
    yRange: [0, 3], valueLabel: codeLabel("h"), stepped: true });
  kfCharts.lineChart(box, W.paper, data.paper, { ...common, id: "chart-paper",
    yRange: [0, 3], valueLabel: codeLabel("p"), stepped: true });
  kfCharts.lineChart(box, W.counters, data.counters, { ...common, id: "chart-counters" });
}

async function refresh() {
  const mine = ++generation;
  const status = document.getElementById("charts-status");
  for (const b of document.querySelectorAll("#ranges button")) {
    b.setAttribute("aria-pressed", String(b.dataset.range === range));
  }
  try {
    const data = await loadAll();
    if (mine !== generation) return;
    draw(data);
    document.body.dataset.range = range;
    status.textContent = `${W.updated} ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (mine === generation) status.textContent = `${W.error}: ${err.message}`;
  }
}

async function header() {
  const d = await kf.api("/api/v1/devices/" + encodeURIComponent(DEVICE) + "?events=0");
  document.getElementById("device-title").textContent = `${d.name || d.id}`;
  document.getElementById("device-summary").textContent =
    `${d.id} · ${d.role} · ${d.site} · ${d.online ? W.online : W.offline}`;
}

document.title = `kfleet · ${W.title}`;
document.querySelector("[data-i18n=title]").textContent = W.title;
for (const b of document.querySelectorAll("#ranges button")) {
  b.addEventListener("click", () => { range = b.dataset.range; refresh(); });
}
kf.start().then(async () => {
  if (!DEVICE) { document.getElementById("charts-status").textContent = W.noDevice; return; }
  await header().catch((err) => {
    document.getElementById("charts-status").textContent = `${W.error}: ${err.message}`;
  });
  await refresh();
}, (err) => {
  document.getElementById("charts-status").textContent = `${W.error}: ${err.message}`;
});
