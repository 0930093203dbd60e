// Kiosk.form(root, def, opts): an e-form (电子表单, protocols/eform.py) drawn from its
// definition — sections of labelled fields, each taken with its on-screen keyboard — for every
// flow that fills one (自助填表, 自助申报, 高龄补贴...). Fields the ID card fills (from_card)
// show the masked card and are read-only: the agent puts the real values in from the card it
// holds, so the browser never has them. Validation is the agent's (one rule everywhere,
// protocols/eform_check.py): showProblems() marks what it answered.
//
//   const f = Kiosk.form(root, def, { data: {...}, card: maskedCard, onChange: (values) => {} });
//   f.values()              → the typed values (numbers, booleans), without the card's fields
//   f.showProblems(list)    → [{field, message, message_en}] shown at each field
"use strict";

(function () {
  const K = window.Kiosk;
  const KEYBOARD = { digits: "digits", id_number: "id_number", phone: "phone", alnum: "alnum", bank_card: "digits", amount: "digits" };
  const CARD = { name: "name", id_number: "id_number", sex: "sex", birth: "birth_year", nation: "nation", address: "address" };

  function typed(prop, raw) {
    if (raw === "" || raw === undefined) return undefined;
    const type = prop && prop.type;
    if (type === "integer") return /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (type === "number") return /^-?[0-9]+(\.[0-9]+)?$/.test(raw) ? Number(raw) : raw;
    return raw;
  }

  function field(def, f, state, opts) {
    const prop = (def.json_schema.properties || {})[f.key] || {};
    const id = "kf-" + def.code + "-" + f.key;
    const label = K.el("label", { for: id }, K.t({ zh: f.label, en: f.label_en || f.label }));
    const help = f.help ? K.el("p", { class: "kf-help", id: id + "-help" }, K.t({ zh: f.help, en: f.help_en || f.help })) : null;
    const problem = K.el("p", { class: "kf-problem", id: id + "-problem", role: "alert", hidden: true });
    const describedby = [help ? id + "-help" : null, id + "-problem"].filter(Boolean).join(" ");
    const set = (v) => { state.values[f.key] = v; K.dirty = true; if (opts.onChange) opts.onChange(state.api.values()); };
    let input;
    if (f.from_card) {
      const shown = (opts.card || {})[CARD[f.from_card]] || "";
      input = K.el("input", { id, name: f.key, readonly: true, value: shown, "aria-describedby": describedby,
        placeholder: K.t({ zh: "读取身份证后自动填写", en: "Filled from the ID card" }) });
    } else if (f.input === "select") {
      input = K.el("select", { id, name: f.key, "aria-describedby": describedby, onchange: (e) => set(typed(prop, e.target.value)) },
        K.el("option", { value: "" }, K.t({ zh: "请选择", en: "Choose" })),
        (prop.enum || []).map((v) => K.el("option", { value: String(v), selected: state.values[f.key] === v }, String(v))));
    } else if (f.input === "checkbox") {
      input = K.el("input", { id, name: f.key, type: "checkbox", checked: state.values[f.key] === true, "aria-describedby": describedby,
        onchange: (e) => set(e.target.checked) });
    } else if (f.input === "date") {
      input = K.el("input", { id, name: f.key, type: "date", value: state.values[f.key] || "", "aria-describedby": describedby,
        onchange: (e) => set(e.target.value || undefined) });
    } else {
      input = K.el("input", { id, name: f.key, autocomplete: "off", value: state.values[f.key] ?? "", "aria-describedby": describedby,
        inputmode: KEYBOARD[f.input] && f.input !== "alnum" ? "numeric" : "text",
        oninput: (e) => set(typed(prop, e.target.value.trim())) });
      if (KEYBOARD[f.input] && K.keyboard) K.keyboard(input, KEYBOARD[f.input]);
    }
    state.inputs[f.key] = { input, problem };
    const box = K.el("div", { class: "kf-field", "data-field": f.key }, label, input, help, problem);
    box.style.setProperty("--span", String(f.span || 12)); // CSSOM: the kiosk's CSP refuses style attributes
    return box;
  }

  function form(root, def, opts) {
    opts = opts || {};
    const state = { values: { ...(opts.data || {}) }, inputs: {} };
    const cardKeys = new Set(def.sections.flatMap((s) => s.fields).filter((f) => f.from_card).map((f) => f.key));
    const mine = {
      values() {
        const out = {};
        for (const [k, v] of Object.entries(state.values)) if (!cardKeys.has(k) && v !== undefined) out[k] = v;
        return out;
      },
      showProblems(problems) {
        for (const { input, problem } of Object.values(state.inputs)) { input.removeAttribute("aria-invalid"); problem.hidden = true; problem.textContent = ""; }
        for (const p of problems || []) {
          const at = state.inputs[p.field];
          if (!at) continue;
          at.input.setAttribute("aria-invalid", "true");
          at.problem.textContent = K.t({ zh: p.message, en: p.message_en || p.message });
          at.problem.hidden = false;
        }
        const first = (problems || []).map((p) => state.inputs[p.field]).find(Boolean);
        if (first) first.input.focus();
      },
    };
    state.api = mine;
    const sections = def.sections.map((s) => K.el("fieldset", { class: "kf-section" },
      K.el("legend", {}, K.t({ zh: s.title, en: s.title_en || s.title })),
      s.fields.map((f) => field(def, f, state, opts))));
    root.replaceChildren(K.el("form", { class: "kf-form", novalidate: true, onsubmit: (e) => e.preventDefault() }, sections));
    return mine;
  }

  K.form = form;
})();
