// kfleet console: the print/copy audit (统一扎口) — every printed certificate, form, guide,
// receipt, ticket and copy of a site subtree over a period: a chart and tables by day, week or
// month and kind (GET /api/v1/print-audit/report), the records themselves with their content
// hash (GET /api/v1/print-audit/records, "more" pages by id), CSV and Excel exports with the
// same filters. Dates are the halls' days (UTC+8). Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const KINDS = ["certificate", "form", "guide", "copy", "receipt", "ticket", "query", "application", "payment", "other"];
  const T = {
    "zh-CN": {
      title: "打印复印审计", site: "站点（含下级）", start: "开始日期", end: "结束日期（含）",
      period: "统计周期", day: "按日", week: "按周", month: "按月", kind: "类别", allKinds: "全部",
      show: "查看", csv: "导出 CSV", xlsx: "导出 Excel", chart: "份数趋势", byKind: "按类别",
      byPeriod: "按时段", from: "时段起", jobs: "份数", pages: "页数", records: "打印复印记录",
      time: "时间", device: "设备", sha: "内容 SHA-256", content: "内容", more: "更多",
      kept: "查看", gone: "已过保留期", none: "所选期间没有打印或复印", total: "合计",
      exporting: "正在导出…", exported: "已导出", periodOf: "统计期间",
      k_certificate: "证明", k_form: "表单", k_guide: "办事指南", k_copy: "复印件", k_receipt: "回执凭条",
      k_ticket: "排队/预约号票", k_query: "查询结果", k_application: "申报回执", k_payment: "缴费凭证", k_other: "其他",
    },
    en: {
      title: "Print and copy audit", site: "Site (and below)", start: "From", end: "To (inclusive)",
      period: "Period", day: "By day", week: "By week", month: "By month", kind: "Kind", allKinds: "All",
      show: "Show", csv: "Export CSV", xlsx: "Export Excel", chart: "Printed over time", byKind: "By kind",
      byPeriod: "By period", from: "Period from", jobs: "Jobs", pages: "Pages", records: "Records",
      time: "Time", device: "Device", sha: "Content SHA-256", content: "Content", more: "More",
      kept: "Open", gone: "past retention", none: "nothing printed or copied in this period", total: "Total",
      exporting: "exporting…", exported: "exported", periodOf: "Period",
      k_certificate: "certificate", k_form: "form", k_guide: "service guide", k_copy: "copy", k_receipt: "receipt",
      k_ticket: "ticket", k_query: "query result", k_application: "application receipt", k_payment: "payment receipt", k_other: "other",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("pa-filters");
  const status = $("pa-status");
  const BUCKET = { day: 86400, week: 7 * 86400, month: 31 * 86400 };
  let nextBefore = null;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const k of KINDS) $("pa-kind").append(new Option(t("k_" + k), k));
  document.title = "kfleet · " + t("title");

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function cell(content, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.append(content instanceof Node ? content : document.createTextNode(String(content)));
    return td;
  }

  function row(cells, attrs = {}) {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    tr.append(...cells);
    return tr;
  }

  // Dates are the hall's days (UTC+8): [start 00:00, the day after end 00:00).
  function filters(withPeriod) {
    const data = new FormData(form);
    const p = new URLSearchParams();
    const site = String(data.get("site") || "").trim();
    if (site) p.set("site", site);
    if (data.get("start")) p.set("start", `${data.get("start")}T00:00:00+08:00`);
    if (data.get("end")) {
      const next = new Date(`${data.get("end")}T00:00:00+08:00`);
      next.setUTCDate(next.getUTCDate() + 1);
      p.set("end", next.toISOString());
    }
    if (data.get("kind")) p.set("kind", data.get("kind"));
    if (withPeriod) p.set("period", data.get("period") || "day");
    return p;
  }

  function chart(report) {
    const section = $("pa-chart");
    for (const old of section.querySelectorAll("figure")) old.remove();
    const periods = [...new Set(report.rows.map((r) => r.period))].sort();
    const kinds = [...new Set(report.rows.map((r) => r.kind))].sort();
    if (!periods.length) return;
    const columns = Object.fromEntries(kinds.map((k) => [k, periods.map(() => 0)]));
    for (const r of report.rows) columns[r.kind][periods.indexOf(r.period)] += r.jobs;
    const times = periods.map((d) => `${d}T00:00:00+08:00`);
    kfCharts.barChart(section, t("chart"), times, columns, {
      id: "pa-bars", bucketS: BUCKET[report.period], labelOf: (k) => t("k_" + k), height: 240,
    });
  }

  function renderReport(report) {
    $("pa-kind-rows").replaceChildren(
      ...report.by_kind.map((k) => row([cell(t("k_" + k.kind)), cell(k.jobs), cell(k.pages)], { "data-kind": k.kind })),
      row([cell(t("total")), cell(report.jobs), cell(report.pages)], { "data-kind": "total" }));
    $("pa-report-rows").replaceChildren(...report.rows.map((r) => row(
      [cell(r.period, "time"), cell(t("k_" + r.kind)), cell(r.jobs), cell(r.pages)],
      { "data-period": r.period, "data-kind": r.kind })));
    chart(report);
    say(report.jobs ? `${t("periodOf")} ${kf.dated(report.start)} – ${kf.dated(report.end)} · ${t("jobs")} ${report.jobs} · ${t("pages")} ${report.pages}` : t("none"));
  }

  function contentCell(r) {
    if (!r.content_kept) return cell(t("gone"));
    const a = document.createElement("a");
    a.href = `/api/v1/print-audit/records/${r.id}/content`;
    a.textContent = t("kept");
    a.target = "_blank";
    a.rel = "noopener";
    return cell(a);
  }

  function renderRecords(page, append) {
    const rows = page.rows.map((r) => row([
      cell(kf.dated(r.at), "time"), cell(r.device_id), cell(r.site), cell(t("k_" + r.kind)),
      cell(r.pages), cell(r.sha256, "message"), contentCell(r)], { "data-job": r.job_id }));
    if (append) $("pa-record-rows").append(...rows);
    else $("pa-record-rows").replaceChildren(...rows);
    nextBefore = page.next_before_id;
    $("pa-more").hidden = nextBefore === null;
  }

  async function show() {
    try {
      const [report, records] = await Promise.all([
        kf.api(`/api/v1/print-audit/report?${filters(true)}`),
        kf.api(`/api/v1/print-audit/records?${filters(false)}`),
      ]);
      renderReport(report);
      renderRecords(records, false);
    } catch (err) {
      say(err.message, true);
    }
  }

  async function more() {
    try {
      const p = filters(false);
      p.set("before_id", String(nextBefore));
      renderRecords(await kf.api(`/api/v1/print-audit/records?${p}`), true);
    } catch (err) {
      say(err.message, true);
    }
  }

  // Download through fetch, so a refusal (too many rows for Excel, a bad filter) is shown.
  async function download(ext) {
    say(t("exporting"));
    try {
      const r = await kf.api(`/api/v1/print-audit/export.${ext}?${filters(false)}`, { raw: true });
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        throw new Error((body && body.message) || r.status + " " + r.statusText);
      }
      const blob = await r.blob();
      const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name ? name[1] : `print-audit.${ext}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      say(t("exported") + " " + a.download);
    } catch (err) {
      say(err.message, true);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = filters(true);
    history.replaceState(null, "", `${location.pathname}?${p}${kf.LANG === "en" ? "&lang=en" : ""}`);
    show();
  });
  $("pa-more").addEventListener("click", more);
  $("pa-csv").addEventListener("click", () => download("csv"));
  $("pa-xlsx").addEventListener("click", () => download("xlsx"));

  kf.start().then(() => {
    const q = new URLSearchParams(location.search);
    if (q.get("site")) form.elements.site.value = q.get("site");
    if (q.get("period")) form.elements.period.value = q.get("period");
    if (q.get("kind")) form.elements.kind.value = q.get("kind");
    for (const key of ["start", "end"]) {
      const v = q.get(key);
      if (v) form.elements[key].value = key === "end"
        ? new Date(new Date(v).getTime() - 86400000 + 8 * 3600000).toISOString().slice(0, 10)
        : new Date(new Date(v).getTime() + 8 * 3600000).toISOString().slice(0, 10);
    }
    show();
  }).catch((err) => say(err.message, true));
})();
