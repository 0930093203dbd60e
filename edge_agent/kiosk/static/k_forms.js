// 自助填表: choose a form → fill it here (Kiosk.form; the ID card fills its fields) or hand it
// to the citizen's phone (手机扫码填表: a QR code of a single-use link) → back here → checked by
// the agent (one validation everywhere) → printed on A4 with the form's layout.
// What was typed lives in the screen's params (a language switch redraws it) and in the agent's
// session; exit or idle clears both.
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  const POLL_MS = 2000;
  document.head.append(el("link", { rel: "stylesheet", href: "/kiosk/static/k_forms.css" }));

  function errorText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  function status(root, kind, words) {
    root.querySelector(".forms-status").replaceChildren(K.message(kind, typeof words === "string" ? { zh: words, en: words } : words));
  }

  function requestId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "form-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- the list ------------------------------------------------------------------------------
  async function renderList(root) {
    root.append(el("p", { class: "forms-intro" }, K.t({ zh: "请选择要填写的表单。您可以在本机填写，也可以扫码用手机填写，填好后在本机打印。", en: "Choose a form. Fill it in here or on your phone by scanning a code, then print it here." })),
      el("div", { class: "forms-status", "aria-live": "polite" }), el("ul", { class: "forms-list" }));
    status(root, "info", { zh: "正在加载表单…", en: "Loading the forms…" });
    const a = await K.api("GET", "/forms");
    if (!a.ok) { status(root, "error", errorText(a)); return; }
    root.querySelector(".forms-status").replaceChildren();
    root.querySelector(".forms-list").replaceChildren(...a.data.forms.map((f) => el("li", {},
      el("button", { type: "button", class: "big forms-choose", "data-form": f.code, onclick: () => K.go("forms-fill", { code: f.code, values: {} }) },
        K.t({ zh: f.title, en: f.title_en || f.title })))));
  }

  // --- filling -------------------------------------------------------------------------------
  function needsCard(def) {
    return def.sections.some((s) => s.fields.some((f) => f.from_card));
  }

  async function readCard(root, params) {
    const card = await K.readCard();
    if (!card || !card.ok) { if (card) status(root, "error", errorText(card)); return; }
    params.card = card.data;
    K.dirty = true;
    root.replaceChildren();
    renderFill(root, params); // drawn again with the masked card
  }

  async function check(root, params, form) {
    const a = await K.api("POST", `/forms/${encodeURIComponent(params.code)}/check`, { data: form.values() });
    if (!a.ok) { status(root, "error", errorText(a)); return false; }
    form.showProblems(a.data.problems);
    if (a.data.problems.length) {
      status(root, "warn", { zh: `还有 ${a.data.problems.length} 处需要填写或修改，请查看标红的项目。`, en: `${a.data.problems.length} field(s) still need attention: see the marked ones.` });
      return false;
    }
    return true;
  }

  async function printForm(root, params, form, button) {
    button.disabled = true;
    status(root, "info", { zh: "正在检查…", en: "Checking…" });
    if (!(await check(root, params, form))) { button.disabled = false; return; }
    status(root, "info", { zh: "正在打印…", en: "Printing…" });
    params.requestId = params.requestId || requestId();
    const a = await K.api("POST", `/forms/${encodeURIComponent(params.code)}/print`, { data: form.values(), request_id: params.requestId });
    button.disabled = false;
    if (a.ok) {
      status(root, "ok", { zh: "正在打印，请在打印机出纸口取走表单，签字后提交窗口。", en: "Printing: take the form from the printer, sign it and hand it in at a window." });
      if (K.speak) K.speak({ zh: "正在打印，请取走表单", en: "Printing, please take your form" });
    } else {
      if (a.data && a.data.problems) form.showProblems(a.data.problems);
      status(root, "error", errorText(a));
    }
  }

  async function renderFill(root, params) {
    const area = el("div", { class: "forms-area" });
    const actions = el("div", { class: "forms-actions" });
    root.append(el("div", { class: "forms-status", "aria-live": "polite" }), area, actions);
    const a = await K.api("GET", `/forms/${encodeURIComponent(params.code)}`);
    if (!a.ok) { status(root, "error", errorText(a)); return; }
    const def = a.data;
    K.title({ zh: def.title, en: def.title_en || def.title });
    const form = K.form(area, def, { data: params.values, card: params.card, onChange: (v) => { params.values = v; } });
    if (needsCard(def) && !params.card) {
      const card = el("button", { type: "button", class: "big", id: "forms-card" }, K.t({ zh: "刷身份证填写个人信息", en: "Read my ID card" }));
      card.addEventListener("click", () => readCard(root, params));
      area.prepend(el("div", { class: "forms-card" }, card));
    }
    const phone = el("button", { type: "button", class: "big plain", id: "forms-phone" }, K.t({ zh: "用手机填写", en: "Fill in on my phone" }));
    phone.addEventListener("click", () => handOff(root, params, form));
    const print = el("button", { type: "button", class: "big", id: "forms-print" }, K.t({ zh: "检查并打印", en: "Check and print" }));
    print.addEventListener("click", () => printForm(root, params, form, print));
    actions.append(phone, print);
    if (params.fromPhone) status(root, "ok", { zh: "已收到手机填写的内容，请核对后打印。", en: "Your phone's answers are here: check them, then print." });
  }

  async function handOff(root, params, form) {
    params.values = form.values();
    const a = await K.api("POST", `/forms/${encodeURIComponent(params.code)}/handoff`, { data: params.values });
    if (!a.ok) { status(root, "error", errorText(a)); return; }
    K.go("forms-phone", { fill: params, handoff: a.data });
  }

  // --- the phone -----------------------------------------------------------------------------
  function renderPhone(root, params) {
    const h = params.handoff;
    const left = el("p", { class: "forms-left", role: "timer" });
    const box = el("div", { class: "forms-status", "aria-live": "polite" });
    const cancel = el("button", { type: "button", class: "big plain", id: "forms-phone-cancel" }, K.t({ zh: "返回在本机填写", en: "Back to filling in here" }));
    cancel.addEventListener("click", () => K.back());
    root.append(
      el("p", { class: "forms-intro" }, K.t({ zh: "请用手机扫描二维码，在手机上填写并提交；提交后本机会自动显示填写内容。身份证信息将由本机读取填写。", en: "Scan the QR code with your phone, fill in the form there and send it; it then appears here. Your ID card's details are filled in here." })),
      el("figure", { class: "forms-qr" }, el("img", { src: h.qr, width: "280", height: "280", alt: K.t({ zh: "手机填表二维码", en: "QR code to fill in on your phone" }) }),
        el("figcaption", {}, K.t({ zh: "此二维码只能使用一次", en: "This code works once" }))),
      left, box, el("div", { class: "forms-actions" }, cancel));
    const until = new Date(h.expires_at).getTime();
    const tick = () => {
      const s = Math.max(0, Math.round((until - Date.now()) / 1000));
      left.textContent = K.t({ zh: `二维码 ${Math.floor(s / 60)} 分 ${s % 60} 秒后失效`, en: `The code expires in ${Math.floor(s / 60)} min ${s % 60} s` });
    };
    tick();
    const still = () => K.current === "forms-phone" && root.isConnected;
    const poll = async () => {
      if (!still()) return;
      tick();
      const a = await K.api("GET", "/forms/handoff");
      if (!still()) return;
      if (a.ok && a.data.state === "filled") {
        Object.assign(params.fill, { values: a.data.data, fromPhone: true });
        K.back();
        return;
      }
      if (a.ok && a.data.state === "expired") {
        box.replaceChildren(K.message("warn", { zh: "二维码已失效，请返回重新生成。", en: "The code has expired: go back and make a new one." }));
        return;
      }
      if (!a.ok) box.replaceChildren(K.message("error", errorText(a)));
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  }

  K.screen({ id: "forms", order: 45, network: true, tile: { zh: "自助填表", en: "Fill in a form", icon: "📝" },
    title: { zh: "自助填表", en: "Fill in a form" }, render: renderList });
  K.screen({ id: "forms-fill", network: true, title: { zh: "填写表单", en: "Fill in the form" }, render: renderFill });
  K.screen({ id: "forms-phone", network: true, title: { zh: "用手机填写", en: "Fill in on your phone" }, render: renderPhone });
})();
