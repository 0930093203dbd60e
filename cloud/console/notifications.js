// kfleet console: the record of alert notifications. Filters (alert, channel, state, kind,
// site) become the query of GET /api/v1/notifications; "more" follows next_cursor. Delivery
// states are said in words as well as in colour. Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "通知记录", channels: "已配置的通道", alert: "告警编号", channel: "通道", state: "状态",
      kind: "类型", site: "站点", any: "全部", pending: "待发送", delivered: "已送达",
      dead: "发送失败", opened: "告警", reminder: "提醒", acknowledged: "已确认",
      resolved: "已恢复", search: "查询", time: "时间", summary: "内容", attempts: "尝试次数",
      error: "最近错误", more: "加载更多", none: "没有符合条件的通知", shown: "条通知",
      loading: "加载中…", end: "已显示全部", noChannels: "无（见 docs/notifications.md）",
    },
    en: {
      title: "Notifications", channels: "Configured channels", alert: "Alert", channel: "Channel",
      state: "State", kind: "Kind", site: "Site", any: "any", pending: "pending",
      delivered: "delivered", dead: "failed (dead)", opened: "opened", reminder: "reminder",
      acknowledged: "acknowledged", resolved: "resolved", search: "Search", time: "Time",
      summary: "Summary", attempts: "Attempts", error: "Last error", more: "More",
      none: "no notifications match", shown: "notifications", loading: "loading…",
      end: "all shown", noChannels: "none (see docs/notifications.md)",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const form = $("nt-filters");
  const rows = $("nt-rows");
  const more = $("nt-more");
  const status = $("nt-status");
  let cursor = null;
  let shown = 0;

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  const dated = kf.dated;

  function query() {
    const p = new URLSearchParams();
    for (const [name, raw] of new FormData(form)) {
      const value = String(raw).trim();
      if (value) p.set(name, value);
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
    tr.dataset.state = item.state;
    const badge = document.createElement("span");
    badge.className = "badge " + item.state;
    badge.textContent = t(item.state);
    const st = cell("", "state");
    st.append(badge);
    tr.append(
      cell(dated(item.created_at), "time"), cell(t(item.kind), "kind"),
      cell(String(item.alert_id), "alert"), cell(item.summary, "summary"),
      cell(item.site, "site"), cell(item.channel, "channel"), st,
      cell(String(item.attempts), "attempts"), cell(item.last_error, "error"),
    );
    rows.append(tr);
  }

  async function load(fresh) {
    if (fresh) { rows.replaceChildren(); cursor = null; shown = 0; }
    say(t("loading"));
    const p = query();
    if (cursor !== null) p.set("cursor", cursor);
    try {
      const page = await kf.api("/api/v1/notifications?" + p.toString());
      page.items.forEach(render);
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      say(shown === 0 ? t("none") : `${shown} ${t("shown")}` + (cursor === null ? " · " + t("end") : ""));
    } catch (err) {
      say(err.message, true);
    }
  }

  async function channels() {
    const got = await kf.api("/api/v1/notifications/channels");
    const select = form.elements.channel;
    for (const c of got.channels) select.append(new Option(`${c.name} (${c.type})`, c.name));
    $("nt-channels").textContent = got.channels.length
      ? got.channels.map((c) => `${c.name} (${c.type})`).join(", ") : t("noChannels");
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  kf.start().then(() => Promise.all([channels(), load(true)])).catch((err) => say(err.message, true));
})();
