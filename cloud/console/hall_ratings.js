// kfleet console: 好差评 — the report (by window, staff, site or service, with CSV), the
// follow-ups of 差评 with their deadlines (close with a note), and the ratings list.
// Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "好差评", site: "站点", start: "开始", end: "结束", by: "统计维度", window: "窗口",
      staff: "工作人员", service: "事项", search: "查询", csv: "导出 CSV", report: "统计",
      key: "对象", rated: "评价数", timedOut: "超时", abandoned: "中断", bad: "差评",
      rate: "满意率", followUps: "差评整改", level: "评价", ticket: "号码", state: "状态",
      due: "期限", assignee: "负责人", action: "处理", ratings: "评价记录", time: "时间",
      source: "来源", reasons: "原因", open: "待整改", overdue: "已超期", closed: "已办结",
      note: "整改情况", close: "办结", loading: "加载中…", none: "无", pad: "评价器",
      kiosk: "自助终端", phone: "手机", rated_: "已评价", timed_out: "超时未评",
    },
    en: {
      title: "Service ratings", site: "Site", start: "From", end: "To", by: "Group by",
      window: "Window", staff: "Staff", service: "Service", search: "Search", csv: "CSV",
      report: "Report", key: "Group", rated: "Rated", timedOut: "Timed out",
      abandoned: "Abandoned", bad: "Bad", rate: "Satisfaction", followUps: "Follow-ups",
      level: "Rating", ticket: "Ticket", state: "State", due: "Due", assignee: "Assignee",
      action: "Action", ratings: "Ratings", time: "Time", source: "Source", reasons: "Reasons",
      open: "open", overdue: "overdue", closed: "closed", note: "What was done",
      close: "Close", loading: "loading…", none: "none", pad: "pad", kiosk: "kiosk",
      phone: "phone", rated_: "rated", timed_out: "timed out",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("hr-filters");
  const status = $("hr-status");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

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
  function query(withBy) {
    const p = new URLSearchParams();
    const f = new FormData(form);
    const site = String(f.get("site") || "").trim();
    if (site) p.set("site", site);
    // dates are days in China Standard Time; the end day is included
    if (f.get("start")) p.set("start", f.get("start") + "T00:00:00+08:00");
    if (f.get("end")) {
      const d = new Date(f.get("end") + "T00:00:00+08:00");
      d.setUTCDate(d.getUTCDate() + 1);
      p.set("end", d.toISOString());
    }
    if (withBy) p.set("by", f.get("by"));
    return p;
  }

  async function report() {
    const p = query(true);
    $("hr-csv").href = "/api/v1/hall/ratings/report?" + p.toString() + "&format=csv";
    const got = await kf.api("/api/v1/hall/ratings/report?" + p.toString());
    const body = $("hr-report-rows");
    body.replaceChildren();
    for (const row of [...got.rows, got.total]) {
      const tr = document.createElement("tr");
      tr.dataset.key = row.key;
      tr.append(cell(row.site, "site"), cell(row.key || "—", "key"));
      for (const level of ["5", "4", "3", "2", "1"]) tr.append(cell(String(row.counts[level]), "l" + level));
      const pct = row.satisfaction === null ? "—" : (row.satisfaction * 100).toFixed(1) + "%";
      tr.append(cell(String(row.rated), "rated"), cell(String(row.timed_out)), cell(String(row.abandoned)),
        cell(String(row.bad), "bad"), cell(pct, "rate"));
      body.append(tr);
    }
  }

  function closer(fu) {
    const td = document.createElement("td");
    if (fu.state === "closed") { td.textContent = fu.note; return td; }
    const box = document.createElement("form");
    box.className = "hr-close";
    const note = document.createElement("textarea");
    note.name = "note"; note.rows = 2; note.required = true; note.maxLength = 2000;
    note.placeholder = t("note"); note.setAttribute("aria-label", t("note"));
    const go = document.createElement("button");
    go.type = "submit"; go.textContent = t("close");
    box.append(note, go);
    box.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await kf.api(`/api/v1/hall/follow-ups/${fu.id}/close`, { method: "POST", body: { note: note.value } });
        await followUps();
        say("#" + fu.id + " " + t("closed"));
      } catch (err) { say(err.message, true); }
    });
    td.append(box);
    return td;
  }

  async function followUps() {
    const p = query(false);
    p.set("state", "all");
    const got = await kf.api("/api/v1/hall/follow-ups?" + p.toString());
    const body = $("hr-follow-rows");
    body.replaceChildren();
    for (const fu of got.items) {
      const tr = document.createElement("tr");
      tr.dataset.id = fu.id;
      tr.dataset.state = fu.state;
      tr.append(cell(String(fu.id)), cell(fu.level_name, "level"), cell(fu.window_no), cell(fu.staff_no),
        cell(fu.ticket_no), cell(t(fu.state), "state"), cell(kf.dated(fu.due_at), "due"),
        cell(fu.assignee || "—"), closer(fu));
      body.append(tr);
    }
  }

  async function list() {
    const got = await kf.api("/api/v1/hall/ratings?" + query(false).toString());
    const body = $("hr-list-rows");
    body.replaceChildren();
    for (const r of got.items) {
      const tr = document.createElement("tr");
      tr.dataset.id = r.id;
      tr.append(cell(kf.dated(r.rated_at)), cell(t(r.source)), cell(r.level_name || t(r.outcome), "level"),
        cell(r.reasons.join(", ")), cell(r.window_no), cell(r.staff_no), cell(r.ticket_no), cell(r.site));
      body.append(tr);
    }
  }

  async function load() {
    say(t("loading"));
    try {
      await Promise.all([report(), followUps(), list()]);
      say("");
    } catch (err) { say(err.message, true); }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  kf.start().then(load).catch((err) => say(err.message, true));
})();
