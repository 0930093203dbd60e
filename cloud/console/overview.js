// kfleet console, site overview (/overview?site=<path>): for a site subtree, devices by
// liveness (online / silent / offline), peripherals by health, printers' paper, jobs per hour
// over 24 h (a uPlot bar chart), paper state over 24 h (from the telemetry series), failures by
// reason and the devices failing most. From GET /api/v1/sites/{path}/overview; refreshed every
// 15 s. Every number is in a [data-count] element so tests and screen readers can read it.
"use strict";

const SITE_PARAM = new URLSearchParams(location.search).get("site");
let site = SITE_PARAM || "";
//: cloud/schemas.py SITE_PATH_PATTERN: anything else is not fetched (no "../" in the API URL)
const SITE_PATH = /^[a-z0-9][a-z0-9_-]{0,31}(\/[a-z0-9][a-z0-9_-]{0,31}){0,4}$/;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const formatTime = kf.dated;

// One number card per key of `counts`; `bad`/`warn` keys are coloured (and said in words).
function counts(boxId, group, values, bad = [], warn = []) {
  const box = document.getElementById(boxId);
  box.replaceChildren(...Object.entries(values).map(([key, n]) => {
    const cls = n && bad.includes(key) ? "bad" : n && warn.includes(key) ? "warn" : "";
    return el("div", { class: `kf-count ${cls}`, "data-count": `${group}.${key}` },
      el("span", { class: "n" }, n), ow(key));
  }));
}

function table(id, head, rows, empty) {
  const t = document.getElementById(id);
  const tr = (cells, tag) => el("tr", {}, ...cells.map((c) => el(tag, {}, c)));
  t.replaceChildren(el("thead", {}, tr(head, "th")),
    el("tbody", {}, ...(rows.length ? rows.map((r) => tr(r, "td")) : [tr([empty], "td")])));
}

function deviceLink(id) {
  return el("a", { href: kf.link("/device") + (kf.LANG === "en" ? "&" : "?") + "id=" +
    encodeURIComponent(id) }, id);
}

function render(o) {
  counts("liveness", "devices", o.devices, ["offline", "silent"], ["never_seen"]);
  counts("health", "peripherals", o.peripherals, ["offline"], ["degraded", "unknown"]);
  counts("paper", "paper", o.paper, ["out"], ["near_end"]);
  const trouble = o.printers.filter((p) => p.paper !== "ok");
  table("printers", [ow("device"), ow("peripheral"), ow("state")],
    trouble.map((p) => [deviceLink(p.device), `${ow(p.kind)} (${p.peripheral})`, ow(p.paper)]),
    ow("none"));
  table("failed-reasons", [ow("reason"), ow("count")],
    Object.entries(o.failed_by_reason).map(([r, n]) => [ow(r), n]), ow("noFailures"));
  table("failing-devices", [ow("device"), ow("count"), ow("lastReason")],
    o.failing_devices.map((f) => [deviceLink(f.device), f.failed, ow(f.last_reason)]),
    ow("noFailures"));
  const notLive = o.device_list.filter((d) => d.liveness !== "online");
  table("not-live", [ow("device"), ow("state"), ow("since"), ow("reason")],
    notLive.map((d) => [deviceLink(d.id), ow(d.liveness), formatTime(d.since), d.reason]),
    ow("none"));
}

async function paperSeries() {
  const end = Date.now();
  const q = new URLSearchParams({ name: "peripheral.paper", site, start: String(end - 86400e3),
    end: String(end), step: "300", agg: "max", group_by: "device,peripheral" });
  try {
    const body = await kf.api("/api/v1/telemetry/series?" + q);
    return body.series.map((s) => ({ ...s,
      label: [s.labels.device, s.labels.peripheral].filter(Boolean).join(" · ") }));
  } catch (err) {
    return []; // no series API (or no store): the chart says "no data"
  }
}

async function drawCharts(o) {
  const paper = await paperSeries();
  const box = document.getElementById("overview-charts");
  box.replaceChildren();
  const active = Object.fromEntries(Object.entries(o.jobs_per_hour)
    .filter(([, col]) => col.some((n) => n > 0)));
  kfCharts.barChart(box, ow("jobsPerHour"), o.hours, active,
    { id: "chart-jobs", labelOf: ow });
  kfCharts.lineChart(box, ow("paperHistory"), paper, { id: "chart-paper-history",
    empty: ow("noData"), yRange: [0, 3], stepped: true,
    valueLabel: (v) => (Number.isInteger(v) ? ow("p" + v) : "") });
}

async function refresh() {
  const status = document.getElementById("overview-status");
  if (!site) return;
  if (!SITE_PATH.test(site)) {
    status.textContent = `${ow("error")}: ${ow("badSite")} ${JSON.stringify(site.slice(0, 80))}`;
    return;
  }
  try {
    const o = await kf.api(`/api/v1/sites/${site}/overview`);
    render(o);
    await drawCharts(o);
    document.body.dataset.site = o.site;
    status.textContent = `${ow("updated")} ${formatTime(o.generated_at)}`;
  } catch (err) {
    status.textContent = `${ow("error")}: ${err.message}`;
  }
}

function flatten(nodes, depth = 0) {
  return nodes.flatMap((n) => [[n, depth], ...flatten(n.children || [], depth + 1)]);
}

async function sitePicker() {
  const tree = await kf.api("/api/v1/sites");
  const select = document.getElementById("site");
  const all = flatten(tree);
  select.replaceChildren(...all.map(([n, depth]) =>
    el("option", { value: n.path }, `${"\u3000".repeat(depth)}${n.name} (${n.path})`)));
  if (!site && all.length) site = all[0][0].path;
  select.value = site;
  select.addEventListener("change", () => {
    site = select.value;
    const q = new URLSearchParams(location.search);
    q.set("site", site);
    history.replaceState(null, "", "?" + q);
    refresh();
  });
}

document.title = `kfleet · ${ow("title")}`;
for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = ow(node.dataset.i18n);
kf.start().then(async () => {
  await sitePicker();
  await refresh();
  setInterval(refresh, 15000);
}, (err) => {
  document.getElementById("overview-status").textContent = `${ow("error")}: ${err.message}`;
});
