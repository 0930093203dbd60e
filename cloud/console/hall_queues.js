// kfleet console: the queue monitor of one hall (site), from GET /api/v1/hall/monitor —
// per queue waiting, served today, average wait and service time, expected wait; per window
// status, staff, the ticket in hand. Refreshes every few seconds while the page is shown.
// Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const REFRESH_MS = 3000;
  const T = {
    "zh-CN": {
      title: "排队叫号监控", site: "大厅（站点）", show: "查看", queues: "队列", windows: "窗口",
      queue: "队列", waiting: "等候人数", served: "今日办结", avgWait: "平均等候",
      avgService: "平均办理", expected: "预计等候", window: "窗口", status: "状态",
      staff: "工作人员", ticket: "当前号", ticketState: "号状态", min: "分钟", none: "—",
      open: "开放", paused: "暂停", closed: "关闭", called: "已叫号", serving: "办理中",
      updated: "更新于", pick: "请输入大厅的站点路径", noQueues: "未配置队列",
    },
    en: {
      title: "Queue monitor", site: "Hall (site)", show: "Show", queues: "Queues",
      windows: "Windows", queue: "Queue", waiting: "Waiting", served: "Served today",
      avgWait: "Average wait", avgService: "Average service", expected: "Expected wait",
      window: "Window", status: "Status", staff: "Staff", ticket: "Ticket",
      ticketState: "Ticket state", min: "min", none: "—", open: "open", paused: "paused",
      closed: "closed", called: "called", serving: "serving", updated: "updated",
      pick: "enter the hall's site path", noQueues: "no queues configured",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("hq-filters");
  const status = $("hq-status");
  let timer = null;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const minutes = (v) => (v === null || v === undefined ? t("none") : `${v} ${t("min")}`);

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

  function render(m) {
    const name = (q) => (kf.LANG === "en" && q.name_en ? q.name_en : q.name_zh) + ` (${q.code})`;
    $("hq-queue-rows").replaceChildren(...m.queues.map((q) => row(
      [name(q), q.waiting, q.served_today, minutes(q.avg_wait_min), minutes(q.avg_service_min),
        minutes(q.expected_wait_min)],
      { "data-queue": q.code },
    )));
    $("hq-window-rows").replaceChildren(...m.windows.map((w) => row(
      [w.number, t(w.status), w.staff_no || t("none"), w.ticket_no || t("none"),
        w.ticket_state ? t(w.ticket_state) : t("none"), w.served_today],
      { "data-window": w.number, "data-status": w.status },
    )));
    say(m.queues.length ? `${t("updated")} ${kf.dated(new Date().toISOString())}` : t("noQueues"));
  }

  async function refresh(site) {
    try {
      render(await kf.api(`/api/v1/hall/monitor?site=${encodeURIComponent(site)}`));
    } catch (err) {
      say(err.message, true);
    }
  }

  function watch(site) {
    clearInterval(timer);
    refresh(site);
    timer = setInterval(() => { if (!document.hidden) refresh(site); }, REFRESH_MS);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const site = String(new FormData(form).get("site") || "").trim();
    if (!site) { say(t("pick"), true); return; }
    const url = new URL(location.href);
    url.searchParams.set("site", site);
    history.replaceState(null, "", url);
    watch(site);
  });

  kf.start().then(() => {
    const site = new URLSearchParams(location.search).get("site");
    if (site) { form.elements.site.value = site; watch(site); } else say(t("pick"));
  }).catch((err) => say(err.message, true));
})();
