// kfleet console: how the kiosks' convenience queries (便民查询) were used, from
// GET /api/v1/kiosk-stats/queries — per query its count, successes and the rest, and every
// outcome (refused, timeout, maintenance...) over a period, for a site and its subtree.
// Counts only: the rows carry no person. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "便民查询使用统计", site: "站点（含下级）", start: "开始日期", end: "结束日期（含）",
      show: "查看", byQuery: "按查询事项", byOutcome: "按结果", query: "查询事项",
      department: "部门", total: "次数", ok: "成功", failed: "未成功", avg: "平均耗时",
      outcome: "结果", ms: "毫秒", none: "所选期间没有查询记录", period: "统计期间",
      o_ok: "成功", o_printed: "已打印", o_refused: "部门未查到/拒绝", o_timeout: "超时",
      o_maintenance: "部门维护", o_unavailable: "部门不可用", o_failed: "失败",
      o_not_configured: "未开通", o_identity: "未完成身份核验", o_bad_input: "输入有误",
    },
    en: {
      title: "Convenience query usage", site: "Site (and below)", start: "From",
      end: "To (inclusive)", show: "Show", byQuery: "By query", byOutcome: "By outcome",
      query: "Query", department: "Department", total: "Count", ok: "Succeeded",
      failed: "Not succeeded", avg: "Average time", outcome: "Outcome", ms: "ms",
      none: "no queries in this period", period: "Period",
      o_ok: "succeeded", o_printed: "printed", o_refused: "refused / no record",
      o_timeout: "timed out", o_maintenance: "maintenance", o_unavailable: "unavailable",
      o_failed: "failed", o_not_configured: "not configured", o_identity: "identity not verified",
      o_bad_input: "bad input",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("ks-filters");
  const status = $("ks-status");

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function row(cells, attrs) {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = String(text);
      tr.append(td);
    }
    return tr;
  }

  function byQuery(rows) {
    const out = new Map();
    for (const r of rows) {
      const q = out.get(r.query) || { query: r.query, department: r.department, total: 0, ok: 0, ms: 0 };
      q.total += r.count;
      if (r.outcome === "ok" || r.outcome === "printed") q.ok += r.count;
      q.ms += r.avg_ms * r.count;
      out.set(r.query, q);
    }
    return [...out.values()].sort((a, b) => b.total - a.total);
  }

  function render(u) {
    $("ks-query-rows").replaceChildren(...byQuery(u.rows).map((q) => row(
      [q.query, q.department, q.total, q.ok, q.total - q.ok, `${Math.round(q.ms / q.total)} ${t("ms")}`],
      { "data-query": q.query },
    )));
    $("ks-outcome-rows").replaceChildren(...u.rows.map((r) => row(
      [r.query, t("o_" + r.outcome), r.count, `${r.avg_ms} ${t("ms")}`],
      { "data-query": r.query, "data-outcome": r.outcome },
    )));
    say(u.total ? `${t("period")} ${kf.dated(u.start)} – ${kf.dated(u.end)} · ${t("total")} ${u.total}` : t("none"));
  }

  // Dates are the hall's days (UTC+8): [start 00:00, the day after end 00:00).
  function params(data) {
    const p = new URLSearchParams();
    const site = String(data.get("site") || "").trim();
    if (site) p.set("site", site);
    const start = data.get("start");
    const end = data.get("end");
    if (start) p.set("start", `${start}T00:00:00+08:00`);
    if (end) {
      const next = new Date(`${end}T00:00:00+08:00`);
      next.setUTCDate(next.getUTCDate() + 1);
      p.set("end", next.toISOString());
    }
    return p;
  }

  async function show(p) {
    try {
      render(await kf.api(`/api/v1/kiosk-stats/queries?${p}`));
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = params(new FormData(form));
    history.replaceState(null, "", `${location.pathname}?${p}${kf.LANG === "en" ? "&lang=en" : ""}`);
    show(p);
  });

  kf.start().then(() => {
    const q = new URLSearchParams(location.search);
    if (q.get("site")) form.elements.site.value = q.get("site");
    show(params(new FormData(form)));
  }).catch((err) => say(err.message, true));
})();
