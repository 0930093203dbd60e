// 办事预约 Appointments: book (service → day → time → ID card → phone → confirm) and my
// appointments (ID card → list → check in for a printed priority ticket, or cancel).
// The ID number never passes through the browser: the agent adds it from the card it read.
"use strict";

(function () {
  const K = window.Kiosk;
  const W = {
    tile: { zh: "办事预约", en: "Appointments" },
    book: { zh: "预约办事", en: "Book an appointment" },
    mine: { zh: "我的预约 / 签到取号", en: "My appointments / check in" },
    service: { zh: "请选择预约事项", en: "Choose a service" },
    day: { zh: "请选择日期", en: "Choose a day" },
    slot: { zh: "请选择时段", en: "Choose a time" },
    none: { zh: "暂无可预约的时段，请稍后再来或到窗口咨询。", en: "No time slots can be booked now. Please try later or ask at a window." },
    card: { zh: "刷身份证", en: "Read ID card" },
    phone: { zh: "手机号码（接收预约短信）", en: "Mobile number (for the confirmation text)" },
    confirm: { zh: "确认预约", en: "Confirm" },
    badPhone: { zh: "请输入11位手机号码。", en: "Please enter an 11-digit mobile number." },
    checkIn: { zh: "签到取号", en: "Check in" },
    cancel: { zh: "取消预约", en: "Cancel it" },
    noneMine: { zh: "您没有待办理的预约。", en: "You have no upcoming appointments." },
  };
  const STATES = {
    booked: { zh: "已预约", en: "Booked" },
    cancelled: { zh: "已取消", en: "Cancelled" },
    checked_in: { zh: "已签到", en: "Checked in" },
    no_show: { zh: "已失约", en: "Missed" },
  };

  /** The cloud's sentence for the citizen when it has one, else the shell's. */
  function said(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  function fail(root, answer) {
    root.append(K.el("div", { class: "msg error", role: "alert" }, said(answer)));
  }

  async function readCard() {
    if (K.readCard) return K.readCard({ timeout_s: 20 });
    return K.api("POST", "/idcard/read", { timeout_s: 20 });
  }

  function choices(items, label) {
    return K.el("ul", { class: "tiles", "aria-label": K.t(label) }, items.map(([text, fn, attrs]) =>
      K.el("li", {}, K.el("button", Object.assign({ type: "button", class: "tile", onclick: fn }, attrs || {}), text))));
  }

  function renderStart(root) {
    root.append(choices([
      [K.t(W.book), () => K.go("appointments-book", {}), { "data-action": "book" }],
      [K.t(W.mine), () => K.go("appointments-mine", {}), { "data-action": "mine" }],
    ], W.tile));
  }

  async function renderBook(root, params) {
    const p = params || {};
    const path = "/appointments/slots" + (p.service ? "?service=" + encodeURIComponent(p.service) : "");
    const answer = await K.api("GET", path);
    if (!answer.ok) return fail(root, answer);
    const open = (answer.data || []).filter((s) => s.free > 0);
    if (!open.length) return root.append(K.message("info", W.none));
    if (!p.service) return pickService(root, open);
    const days = [...new Set(open.map((s) => s.day))];
    if (!p.day) return pickDay(root, p, days);
    pickSlot(root, p, open.filter((s) => s.day === p.day));
  }

  function pickService(root, open) {
    const seen = new Map();
    for (const s of open) if (!seen.has(s.service)) seen.set(s.service, s);
    root.append(K.el("h2", {}, K.t(W.service)), choices([...seen.values()].map((s) =>
      [K.t({ zh: s.service_name, en: s.service_name_en }), () => K.go("appointments-book", { service: s.service }), { "data-service": s.service }]), W.service));
  }

  function pickDay(root, p, days) {
    root.append(K.el("h2", {}, K.t(W.day)), choices(days.map((d) =>
      [d, () => K.go("appointments-book", { service: p.service, day: d }), { "data-day": d }]), W.day));
  }

  function pickSlot(root, p, slots) {
    root.append(K.el("h2", {}, K.t(W.slot)), choices(slots.map((s) => {
      const left = K.t({ zh: `余 ${s.free} 个`, en: `${s.free} left` });
      return [`${s.text.slice(11)} · ${left}`, () => K.go("appointments-confirm", { slot: s }), { "data-slot": String(s.id) }];
    }), W.slot));
  }

  function renderConfirm(root, params) {
    const slot = params.slot;
    const what = K.el("p", { class: "msg info" }, `${K.t({ zh: slot.service_name, en: slot.service_name_en })} · ${slot.text}`);
    const who = K.el("p", { id: "appt-who" });
    const input = K.el("input", { id: "appt-phone", type: "tel", inputmode: "numeric", maxlength: "11", autocomplete: "off" });
    const label = K.el("label", { for: "appt-phone" }, K.t(W.phone));
    const out = K.el("div", { id: "appt-out", "aria-live": "polite" });
    const go = K.el("button", { type: "button", class: "big", id: "appt-confirm", disabled: true }, K.t(W.confirm));
    const card = K.el("button", { type: "button", class: "big", id: "appt-card" }, K.t(W.card));
    input.addEventListener("input", () => { K.dirty = true; });
    card.addEventListener("click", async () => {
      const a = await readCard();
      out.replaceChildren();
      if (!a.ok) return fail(out, a);
      who.textContent = `${a.data.name} ${a.data.id_number}`;
      go.disabled = false;
      input.focus();
    });
    go.addEventListener("click", () => book(slot, input, out, go));
    root.append(what, card, who, label, input, K.el("p", {}, go), out);
    if (K.keyboard) K.keyboard(input, "phone");
  }

  async function book(slot, input, out, button) {
    out.replaceChildren();
    const phone = input.value.replace(/\s/g, "");
    if (!/^1[3-9][0-9]{9}$/.test(phone)) return out.append(K.message("error", W.badPhone));
    button.disabled = true;
    const a = await K.api("POST", "/appointments", { service: slot.service, slot_id: slot.id, phone });
    if (!a.ok) { button.disabled = false; return fail(out, a); }
    const b = a.data;
    input.value = "";
    K.dirty = false;
    out.append(K.el("div", { class: "msg ok", role: "status", id: "appt-booked" },
      K.t({ zh: `预约成功！预约号 ${b.ref}，${b.slot_text}，${b.site_name}。请按时凭身份证到自助终端签到取号。`,
        en: `Booked! Reference ${b.ref}, ${b.slot_text}, ${b.site_name}. Check in at a kiosk with your ID card.` })));
    out.append(b.sms_sent
      ? K.message("info", { zh: `确认短信已发送至 ${b.phone_masked}。`, en: `A confirmation text was sent to ${b.phone_masked}.` })
      : K.message("warn", { zh: "确认短信发送失败，但预约已成功，请记下预约号。", en: "The confirmation text could not be sent, but you are booked. Please note the reference." }));
  }

  async function renderMine(root) {
    const out = K.el("div", { id: "appt-out", "aria-live": "polite" });
    const card = K.el("button", { type: "button", class: "big", id: "appt-card" }, K.t(W.card));
    const list = K.el("div", { id: "appt-list" });
    card.addEventListener("click", async () => {
      out.replaceChildren();
      const a = await readCard();
      if (!a.ok) return fail(out, a);
      await showMine(list, out);
    });
    root.append(card, out, list);
  }

  async function showMine(list, out) {
    const a = await K.api("GET", "/appointments/mine");
    list.replaceChildren();
    if (!a.ok) return fail(out, a);
    const rows = a.data || [];
    if (!rows.length) return list.append(K.message("info", W.noneMine));
    list.append(K.el("ul", { class: "appt-list" }, rows.map((b) => K.el("li", { "data-ref": b.ref },
      K.el("p", {}, K.el("strong", {}, b.service_name), ` · ${b.slot_text} · ${b.site_name}`),
      K.el("p", {}, `${K.t({ zh: "预约号", en: "Reference" })} ${b.ref} · ${K.t(STATES[b.state] || { zh: b.state, en: b.state })}`),
      b.state === "booked" ? K.el("p", {},
        K.el("button", { type: "button", class: "big", "data-act": "check-in", onclick: () => act(b.ref, "check-in", list, out) }, K.t(W.checkIn)), " ",
        K.el("button", { type: "button", class: "plain", "data-act": "cancel", onclick: () => act(b.ref, "cancel", list, out) }, K.t(W.cancel))) : null))));
  }

  async function act(ref, what, list, out) {
    out.replaceChildren();
    const a = await K.api("POST", `/appointments/${ref}/${what}`);
    if (!a.ok) return fail(out, a);
    if (what === "check-in") {
      const d = a.data;
      out.append(K.el("div", { class: "msg ok", role: "status", id: "appt-ticket" },
        K.t({ zh: `签到成功！您的号码是 ${d.ticket_no}，前面还有 ${d.people_ahead} 人。请取走打印的号票。`,
          en: `Checked in! Your number is ${d.ticket_no}, ${d.people_ahead} ahead of you. Please take the printed ticket.` })));
    } else {
      out.append(K.el("div", { class: "msg ok", role: "status", id: "appt-cancelled" },
        K.t({ zh: `预约 ${ref} 已取消。`, en: `Appointment ${ref} is cancelled.` })));
    }
    await showMine(list, out);
  }

  K.screen({ id: "appointments", order: 30, network: true, tile: Object.assign({ icon: "📅" }, W.tile), title: W.tile, render: renderStart });
  K.screen({ id: "appointments-book", title: W.book, render: renderBook });
  K.screen({ id: "appointments-confirm", title: W.confirm, render: renderConfirm });
  K.screen({ id: "appointments-mine", title: W.mine, render: renderMine });
})();
