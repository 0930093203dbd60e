// kfleet console: availability (uptime %) per site subtree and per device over a period, from
// GET /api/v1/availability (silent and offline count as down; time before a device's first
// presence event is unknown and left out of the percentage). Export downloads the same query
// as CSV. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "设备可用率", start: "开始时间", end: "结束时间", site: "站点", device: "设备",
      search: "查询", export: "导出 CSV", bySite: "按站点（含下级）", byDevice: "按设备",
      pct: "可用率", up: "在线时长", down: "离线/失联时长", unknown: "未知时长",
      total: "合计", loading: "加载中…", exporting: "正在导出…", none: "没有设备",
      period: "统计区间", noData: "无数据",
    },
    en: {
      title: "Availability", start: "From", end: "To", site: "Site", device: "Device",
      search: "Search", export: "Export CSV", bySite: "By site (with its subtree)",
      byDevice: "By device", pct: "Availability", up: "Up", down: "Down (offline/silent)",
      unknown: "Unknown", total: "Total", loading: "loading…", exporting: "exporting…",
      none: "no devices", period: "Period", noData: "no data",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("avail-filters");
  const status = $("avail-status");

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const dated = kf.dated;
  function span(seconds) {
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
  }
  const pct = (v) => (v === null || v === undefined ? t("noData") : `${v.toFixed(2)} %`);

  function query() {
    const p = new URLSearchParams();
    for (const [name, raw] of new FormData(form)) {
      const value = String(raw).trim();
      if (!value) continue;
      p.set(name, name === "start" || name === "end" ? new Date(value).toISOString() : value);
    }
    return p;
  }

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function row(cells, attrs = {}) {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }
  const figures = (u) => [pct(u.availability_pct), span(u.up_s), span(u.down_s), span(u.unknown_s)];

  async function load() {
    say(t("loading"));
    try {
      const data = await kf.api("/api/v1/availability?" + query().toString());
      $("avail-site-rows").replaceChildren(
        ...data.sites.map((s) => row([s.site, ...figures(s)], { "data-site": s.site })),
        row([t("total"), ...figures(data.total)], { "data-total": "" }));
      $("avail-device-rows").replaceChildren(
        ...data.devices.map((d) => row([d.device, d.site, ...figures(d)], { "data-device": d.device })));
      say(data.devices.length
        ? `${t("period")}: ${dated(data.start)} – ${dated(data.end)}`
        : t("none"));
    } catch (err) {
      say(err.message, true);
    }
  }

  // Download through fetch, so a refusal (a bad period) is shown as its sentence.
  async function exportCsv() {
    say(t("exporting"));
    try {
      const p = query();
      p.set("format", "csv");
      const r = await kf.api("/api/v1/availability?" + p.toString(), { raw: true });
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        throw new Error((body && body.message) || r.status + " " + r.statusText);
      }
      const blob = await r.blob();
      const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name ? name[1] : "kfleet-availability.csv";
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      say("");
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("avail-export").addEventListener("click", exportCsv);
  kf.start().then(load).catch((err) => say(err.message, true));
})();
