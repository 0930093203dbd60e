// kfleet console: the audit log. Filters (time range, actor, action, site, result) become the
// query of GET /api/v1/audit; "more" follows next_cursor; export downloads
// /api/v1/audit/export.csv with the same filters. Times carry their date (local time zone);
// results are said in words as well as in colour. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "审计日志", from: "开始时间", to: "结束时间", actor: "操作者", action: "操作",
      site: "站点", result: "结果", any: "全部", ok: "成功", denied: "拒绝", failed: "失败",
      search: "查询", export: "导出 CSV", time: "时间", target: "对象", message: "说明",
      more: "加载更多", none: "没有符合条件的记录", shown: "条记录", loading: "加载中…",
      exporting: "正在导出…", end: "已显示全部",
    },
    en: {
      title: "Audit log", from: "From", to: "To", actor: "Actor", action: "Action",
      site: "Site", result: "Result", any: "any", ok: "ok", denied: "denied", failed: "failed",
      search: "Search", export: "Export CSV", time: "Time", target: "Target", message: "Message",
      more: "More", none: "no rows match", shown: "rows", loading: "loading…",
      exporting: "exporting…", end: "all rows shown",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("audit-filters");
  const rows = $("audit-rows");
  const more = $("audit-more");
  const status = $("audit-status");
  let cursor = null;
  let shown = 0;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const pad = (n) => String(n).padStart(2, "0");
  function dated(iso) {
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // The form's filters as query parameters; a datetime-local is local time: sent with its zone.
  function query() {
    const p = new URLSearchParams();
    for (const [name, raw] of new FormData(form)) {
      const value = String(raw).trim();
      if (!value) continue;
      p.set(name, name === "from" || name === "to" ? new Date(value).toISOString() : value);
    }
    return p;
  }

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function render(item) {
    const tr = document.createElement("tr");
    tr.dataset.id = item.id;
    tr.dataset.action = item.action;
    const badge = document.createElement("span");
    badge.className = "badge " + item.result;
    badge.textContent = t(item.result);
    const res = cell("", "result");
    res.append(badge);
    tr.append(
      cell(dated(item.at), "time"), cell(item.actor, "actor"), cell(item.ip, "ip"),
      cell(item.action, "action"), cell(item.target, "target"), cell(item.site, "site"),
      res, cell(item.message, "message"),
    );
    rows.append(tr);
  }

  async function load(fresh) {
    if (fresh) { rows.replaceChildren(); cursor = null; shown = 0; }
    say(t("loading"));
    const p = query();
    if (cursor !== null) p.set("cursor", cursor);
    try {
      const page = await kf.api("/api/v1/audit?" + p.toString());
      page.items.forEach(render);
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      say(shown === 0 ? t("none") : `${shown} ${t("shown")}` + (cursor === null ? " · " + t("end") : ""));
    } catch (err) {
      say(err.message, true);
    }
  }

  // Download through fetch, so a refusal (too many rows, bad filter) is shown as its sentence.
  async function exportCsv() {
    say(t("exporting"));
    try {
      const r = await kf.api("/api/v1/audit/export.csv?" + query().toString(), { raw: true });
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        throw new Error((body && body.message) || r.status + " " + r.statusText);
      }
      const blob = await r.blob();
      const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name ? name[1] : "kfleet-audit.csv";
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      say(`${shown} ${t("shown")}`);
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  $("audit-export").addEventListener("click", exportCsv);
  kf.start().then(() => load(true)).catch((err) => say(err.message, true));
})();
