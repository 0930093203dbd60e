// kfleet console: a hall's appointment calendar — slots by day and service with places held /
// capacity (GET /api/v1/appointments/slots), generating slots for a week (POST, needs
// hall.configure) and the bookings of a day, masked (GET /api/v1/appointments).
// Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "预约日历", site: "大厅（站点）", start: "起始日期", show: "查看",
      calendar: "时段（已约 / 容量）", day: "日期", service: "事项", slots: "时段",
      generate: "生成时段", first: "首日", days: "天数", capacity: "每时段名额",
      times: "时段（每行一个，如 09:00-09:30）", weekend: "含周末", generateGo: "生成",
      bookings: "当日预约", ref: "预约号", slot: "时段", state: "状态", person: "预约人",
      phone: "手机", ticket: "号票", pick: "请输入大厅的站点路径", none: "—",
      noSlots: "这几天没有时段", noBookings: "当天没有预约",
      booked: "已预约", cancelled: "已取消", checked_in: "已签到", no_show: "失约",
      created: (c, s) => `已生成 ${c} 个时段，跳过已有 ${s} 个`,
    },
    en: {
      title: "Appointments", site: "Hall (site)", start: "From", show: "Show",
      calendar: "Slots (booked / capacity)", day: "Day", service: "Service", slots: "Slots",
      generate: "Generate slots", first: "First day", days: "Days", capacity: "Places per slot",
      times: "Times (one per line, e.g. 09:00-09:30)", weekend: "Include weekends",
      generateGo: "Generate", bookings: "Bookings of a day", ref: "Reference", slot: "Time",
      state: "State", person: "Person", phone: "Phone", ticket: "Ticket",
      pick: "enter the hall's site path", none: "—", noSlots: "no slots on these days",
      noBookings: "no bookings that day", booked: "booked", cancelled: "cancelled",
      checked_in: "checked in", no_show: "no-show",
      created: (c, s) => `${c} slots created, ${s} existing skipped`,
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  const $ = (id) => document.getElementById(id);
  const status = $("ap-status");
  let site = "";

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(node, text, isError = false) {
    node.textContent = text;
    node.classList.toggle("error", isError);
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

  function renderCalendar(slots) {
    const groups = new Map();
    for (const s of slots) {
      const key = `${s.day}|${s.service}`;
      if (!groups.has(key)) groups.set(key, { day: s.day, name: `${kf.LANG === "en" ? s.service_name_en : s.service_name} (${s.service})`, cells: [] });
      groups.get(key).cells.push(`${s.text.slice(11)} ${s.booked}/${s.capacity}`);
    }
    $("ap-calendar-rows").replaceChildren(...[...groups.entries()].map(([key, g]) =>
      row([g.day, g.name, g.cells.join(" · ")], { "data-key": key })));
    say(status, slots.length ? "" : t("noSlots"));
  }

  async function showCalendar() {
    const start = new FormData($("ap-filters")).get("start");
    const q = new URLSearchParams({ site, days: "7" });
    if (start) q.set("start", String(start));
    try {
      renderCalendar(await kf.api(`/api/v1/appointments/slots?${q}`));
    } catch (err) { say(status, err.message, true); }
  }

  async function showBookings() {
    const day = new FormData($("ap-day")).get("date");
    const q = new URLSearchParams({ site });
    if (day) q.set("date", String(day));
    try {
      const rows = await kf.api(`/api/v1/appointments?${q}`);
      $("ap-booking-rows").replaceChildren(...rows.map((b) => row(
        [b.ref, b.slot_text, b.service_name, t(b.state), `${b.name_masked} ${b.id_masked}`, b.phone_masked, b.ticket_no || t("none")],
        { "data-ref": b.ref, "data-state": b.state })));
      if (!rows.length) say(status, t("noBookings"));
    } catch (err) { say(status, err.message, true); }
  }

  function show(newSite) {
    site = newSite;
    const url = new URL(location.href);
    url.searchParams.set("site", site);
    history.replaceState(null, "", url);
    showCalendar();
    showBookings();
  }

  $("ap-filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = String(new FormData($("ap-filters")).get("site") || "").trim();
    if (!value) { say(status, t("pick"), true); return; }
    show(value);
  });

  $("ap-day").addEventListener("submit", (ev) => { ev.preventDefault(); if (site) showBookings(); });

  $("ap-generate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = $("ap-generated");
    if (!site) { say(out, t("pick"), true); return; }
    const f = new FormData($("ap-generate"));
    const body = {
      service: String(f.get("service")).trim(),
      start: String(f.get("start")),
      days: Number(f.get("days")),
      capacity: Number(f.get("capacity")),
      times: String(f.get("times")).split(/\n/).map((s) => s.trim()).filter(Boolean),
      weekdays: f.get("weekend") ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3, 4, 5],
    };
    try {
      const r = await kf.api(`/api/v1/appointments/slots?site=${encodeURIComponent(site)}`, { method: "POST", body });
      say(out, T.created(r.created, r.skipped));
      showCalendar();
    } catch (err) { say(out, err.message, true); }
  });

  kf.start().then(() => {
    const initial = new URLSearchParams(location.search).get("site");
    if (initial) { $("ap-filters").elements.site.value = initial; show(initial); } else say(status, t("pick"));
  }).catch((err) => say(status, err.message, true));
})();
