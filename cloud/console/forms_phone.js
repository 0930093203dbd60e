// 手机扫码填表: the citizen's phone fills the form a kiosk handed over (GET/POST
// /api/v1/phone/forms/{token}); the same validation as the kiosk's answers each problem at its
// field. The ID card's fields are not asked here: the kiosk fills them from the card. zh-CN
// first, English on a tap. Nothing is kept in the browser.
"use strict";

(() => {
  const token = location.pathname.split("/").pop();
  const api = "/api/v1/phone/forms/" + encodeURIComponent(token);
  const root = document.getElementById("pf");
  const INPUTMODE = { digits: "numeric", id_number: "text", phone: "tel", bank_card: "numeric", amount: "decimal", alnum: "text", text: "text" };
  let lang = "zh";
  let def = null;
  const values = {};
  const inputs = {};

  const t = (zh, en) => (lang === "en" ? en || zh : zh);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  function typed(prop, raw) {
    if (raw === "" || raw === undefined) return undefined;
    if (prop.type === "integer" && /^-?[0-9]+$/.test(raw)) return Number(raw);
    if (prop.type === "number" && /^-?[0-9]+(\.[0-9]+)?$/.test(raw)) return Number(raw);
    return raw;
  }

  function field(f) {
    const prop = def.json_schema.properties[f.key] || {};
    const id = "pf-" + f.key;
    const label = el("label", { for: id }, t(f.label, f.label_en));
    const problem = el("p", { class: "pf-problem", id: id + "-problem", role: "alert", hidden: true });
    const help = f.help ? el("p", { class: "pf-help", id: id + "-help" }, t(f.help, f.help_en)) : null;
    const described = [help ? id + "-help" : null, id + "-problem"].filter(Boolean).join(" ");
    const set = (v) => { if (v === undefined) delete values[f.key]; else values[f.key] = v; };
    let input;
    if (f.from_card) {
      input = el("input", { id, readonly: true, value: t("由自助终端读取身份证填写", "Filled in at the kiosk from your ID card"), "aria-describedby": described });
    } else if (f.input === "select") {
      input = el("select", { id, "aria-describedby": described, onchange: (e) => set(typed(prop, e.target.value)) },
        el("option", { value: "" }, t("请选择", "Choose")),
        (prop.enum || []).map((v) => el("option", { value: String(v), selected: values[f.key] === v }, String(v))));
    } else if (f.input === "checkbox") {
      input = el("input", { id, type: "checkbox", checked: values[f.key] === true, "aria-describedby": described, onchange: (e) => set(e.target.checked) });
    } else if (f.input === "date") {
      input = el("input", { id, type: "date", value: values[f.key] || "", "aria-describedby": described, onchange: (e) => set(e.target.value || undefined) });
    } else {
      input = el("input", { id, type: f.input === "phone" ? "tel" : "text", inputmode: INPUTMODE[f.input] || "text", autocomplete: "off",
        value: values[f.key] ?? "", "aria-describedby": described, oninput: (e) => set(typed(prop, e.target.value.trim())) });
    }
    inputs[f.key] = { input, problem };
    const box = el("div", { class: "pf-field" + (f.input === "checkbox" ? " pf-check" : "") }, label, input, help, problem);
    return box;
  }

  function showProblems(problems) {
    for (const { input, problem } of Object.values(inputs)) { input.removeAttribute("aria-invalid"); problem.hidden = true; }
    for (const p of problems) {
      const at = inputs[p.field];
      if (!at) continue;
      at.input.setAttribute("aria-invalid", "true");
      at.problem.textContent = t(p.message, p.message_en);
      at.problem.hidden = false;
    }
    const first = problems.map((p) => inputs[p.field]).find(Boolean);
    if (first) first.input.focus();
  }

  function say(kind, text) {
    const box = document.getElementById("pf-status");
    box.className = "pf-status " + kind;
    box.textContent = text;
  }

  async function call(method, path, data) {
    const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (data) { init.body = JSON.stringify({ data }); init.headers["Content-Type"] = "application/json"; }
    try {
      const r = await fetch(path, init);
      return { ok: r.ok, status: r.status, body: await r.json().catch(() => ({})) };
    } catch (e) {
      return { ok: false, status: 0, body: { citizen_message: "网络连接失败，请稍后重试。", citizen_message_en: "No connection: try again shortly." } };
    }
  }
  const why = (a) => t(a.body.citizen_message || a.body.message || "出错了，请稍后重试。", a.body.citizen_message_en || a.body.message);

  async function send(button) {
    button.disabled = true;
    say("info", t("正在检查…", "Checking…"));
    const checked = await call("POST", api + "/check", values);
    if (!checked.ok) { button.disabled = false; say("error", why(checked)); return; }
    showProblems(checked.body.problems);
    if (checked.body.problems.length) {
      button.disabled = false;
      say("warn", t(`还有 ${checked.body.problems.length} 处需要填写或修改。`, `${checked.body.problems.length} field(s) still need attention.`));
      return;
    }
    const sent = await call("POST", api, values);
    if (!sent.ok) { button.disabled = false; say("error", why(sent)); return; }
    root.replaceChildren(el("div", { class: "pf-done", role: "status" },
      el("h1", {}, t("已提交", "Sent")),
      el("p", {}, t("请回到自助终端，核对内容后打印表单。此链接已失效。", "Go back to the kiosk, check the form and print it. This link no longer works."))));
  }

  function render() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.title = t(def.title, def.title_en) + " · " + t("手机填表", "Fill in on your phone");
    const other = el("button", { type: "button", class: "pf-lang", lang: lang === "en" ? "zh-CN" : "en", onclick: () => { lang = lang === "en" ? "zh" : "en"; render(); } }, lang === "en" ? "中文" : "English");
    const submit = el("button", { type: "submit", class: "pf-send", id: "pf-send" }, t("提交到自助终端", "Send to the kiosk"));
    const form = el("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); send(submit); } },
      def.sections.map((s) => el("fieldset", {}, el("legend", {}, t(s.title, s.title_en)), s.fields.map(field))),
      el("p", { id: "pf-status", class: "pf-status", "aria-live": "polite" }), submit);
    root.replaceChildren(el("header", {}, el("h1", {}, t(def.title, def.title_en)), other), form);
  }

  (async () => {
    const a = await call("GET", api);
    if (!a.ok) { root.replaceChildren(el("h1", {}, why(a))); return; }
    def = a.body.form;
    render();
  })();
})();
