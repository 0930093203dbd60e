// Self-service application (自助申报): choose an item → read the ID card → answer the
// situations → the material list → scan each material with the 高拍仪 (each page shown to
// accept or retake; several pages; a blank page is refused and asked again) → the item's
// e-form (Kiosk.form) → review → submit → the case number while the receipt prints.
// The application lives in the agent (on disk, until the idle timeout would clear it), so
// every step starts from GET /apply/draft: a restart or a language switch loses nothing.
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  const STEPS = [
    ["situation", { zh: "办理情形", en: "Situation" }],
    ["materials", { zh: "扫描材料", en: "Materials" }],
    ["form", { zh: "填写申请表", en: "Form" }],
    ["review", { zh: "核对提交", en: "Review" }],
  ];

  document.head.append(el("link", { rel: "stylesheet", href: "/kiosk/static/k_apply.css" }));

  // An application in progress is personal data even when the citizen went back home: the
  // idle timer must still warn and clear there (the shell's home resets "dirty").
  let inProgress = false;
  K.onShow((id) => { if (id === "home" && inProgress) K.dirty = true; });
  K.onClear(() => { inProgress = false; });

  function status(root, kind, words) {
    const box = root.querySelector(".apply-status");
    if (box) box.replaceChildren(words ? K.message(kind, words) : "");
  }

  function errorWords(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return { zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message };
    return { zh: K.errorText(answer), en: K.errorText(answer) };
  }

  function go(step, extra) { K.go("apply", { step, ...(extra || {}) }); }

  function button(label, onClick, attrs) {
    return el("button", { type: "button", class: "big", ...(attrs || {}), onclick: onClick }, K.t(label));
  }

  function progress(step) {
    return el("ol", { class: "apply-steps", "aria-label": K.t({ zh: "申报步骤", en: "Steps" }) },
      STEPS.map(([id, name]) => el("li", { class: id === step ? "current" : "", "aria-current": id === step ? "step" : null }, K.t(name))));
  }

  function frame(root, draft, step, ...body) {
    root.append(
      el("p", { class: "apply-item" }, K.t({ zh: "申报事项：", en: "Applying for: " }),
        el("strong", {}, K.t({ zh: draft.item_name, en: draft.item_name_en || draft.item_name }))),
      progress(step), el("div", { class: "apply-status", "aria-live": "polite" }), ...body.flat().filter(Boolean));
  }

  // --- choose the item ---
  async function renderChoose(root, params, alive) {
    const list = el("ul", { class: "apply-items" });
    const input = el("input", { id: "apply-q", type: "search", autocomplete: "off", class: "apply-q", value: params.q || "" });
    if (K.keyboard) K.keyboard(input, "text");
    const find = async () => {
      const a = await K.api("GET", "/apply/items?q=" + encodeURIComponent(input.value.trim()));
      if (!alive()) return;
      if (!a.ok) { status(root, "error", errorWords(a)); return; }
      if (!a.data.ready) { status(root, "warn", { zh: "事项目录尚未加载，请稍后再试。", en: "The list of services is not loaded yet." }); return; }
      list.replaceChildren(...a.data.items.map((it) => el("li", {},
        el("button", { type: "button", class: "apply-pick", "data-item": it.code, onclick: () => startWith(root, it.code) },
          el("strong", {}, K.t({ zh: it.name, en: it.name_en || it.name })),
          el("span", { class: "apply-dept" }, K.t({ zh: it.department_name, en: it.department_name_en || it.department_name }))))));
      if (!a.data.items.length) status(root, "info", { zh: "没有找到可以自助申报的事项。", en: "No service found that can be applied for here." });
    };
    root.append(
      el("p", { class: "apply-intro" }, K.t({ zh: "选择要申报的事项。您需要身份证和该事项要求的材料原件，材料在本机高拍仪上扫描。", en: "Choose the service. You need your ID card and the original documents the service asks for; they are scanned on this kiosk's document camera." })),
      el("div", { class: "apply-search" }, el("label", { for: "apply-q" }, K.t({ zh: "搜索事项", en: "Search" })), input,
        button({ zh: "搜索", en: "Search" }, find)),
      el("div", { class: "apply-status", "aria-live": "polite" }), list);
    await find();
  }

  async function startWith(root, code) {
    if (K.readCard) {
      const card = await K.readCard();
      if (!card || !card.ok) { if (card) status(root, "error", errorWords(card)); return; }
    }
    const a = await K.api("POST", "/apply/start", { item: code });
    if (!a.ok) { status(root, "error", errorWords(a)); return; }
    K.dirty = true;
    inProgress = true;
    go("situation");
  }

  // --- situations ---
  function renderSituation(root, draft) {
    const qs = draft.questions.map((q) => el("fieldset", { class: "apply-question", "data-question": q.code },
      el("legend", {}, K.t({ zh: q.text, en: q.text_en || q.text })),
      q.options.map((o) => el("button", { type: "button", class: "apply-option" + (draft.answers[q.code] === o.code ? " chosen" : ""),
        "aria-pressed": draft.answers[q.code] === o.code ? "true" : "false", "data-option": o.code,
        onclick: async () => {
          const a = await K.api("PUT", "/apply/answers", { answers: { ...draft.answers, [q.code]: o.code } });
          if (a.ok) go("situation"); else status(root, "error", errorWords(a));
        } }, K.t({ zh: o.label, en: o.label_en || o.label })))));
    const next = button({ zh: "下一步：扫描材料", en: "Next: scan documents" }, () => go("materials"), { id: "apply-next", disabled: draft.unanswered.length > 0 });
    frame(root, draft, "situation",
      qs.length ? qs : el("p", {}, K.t({ zh: "该事项无需选择办理情形。", en: "No questions for this service." })), next);
  }

  // --- materials and scanning ---
  function pageThumb(root, code, id) {
    const drop = el("button", { type: "button", class: "plain", "data-drop": id, onclick: async () => {
      const a = await K.api("DELETE", `/apply/materials/${encodeURIComponent(code)}/pages/${id}`);
      if (a.ok) go("materials"); else status(root, "error", errorWords(a));
    } }, K.t({ zh: "删除", en: "Remove" }));
    return el("li", { class: "apply-page" }, el("img", { src: `/kiosk/api/apply/pages/${id}.jpg`, alt: K.t({ zh: "已扫描的一页", en: "A scanned page" }) }), drop);
  }

  function materialRow(root, draft, m) {
    const pages = draft.pages[m.code] || [];
    // a help-call operator asked for a rescan (issue 16): the next page accepted replaces these
    const rescan = (draft.rescan || {})[m.code];
    const label = rescan !== undefined ? { zh: "重新扫描", en: "Scan again" } : pages.length ? { zh: "再扫一页", en: "Scan another page" } : { zh: "扫描", en: "Scan" };
    const scan = button(label, () => scanPage(root, m), { "data-scan": m.code });
    return el("li", { class: "apply-material", "data-material": m.code },
      el("h2", {}, K.t({ zh: m.name, en: m.name_en || m.name }), m.required ? el("span", { class: "apply-required" }, K.t({ zh: "（必交）", en: " (required)" })) : el("span", { class: "apply-optional" }, K.t({ zh: "（可选）", en: " (optional)" }))),
      m.note ? el("p", { class: "apply-note" }, m.note) : null,
      rescan !== undefined ? el("div", { class: "apply-rescan", "data-rescan": m.code }, K.message("warn", { zh: `工作人员请您重新扫描：${rescan}`, en: `The staff member asks you to scan this again: ${rescan}` })) : null,
      el("p", { class: "apply-count" }, K.t({ zh: `已扫描 ${pages.length} 页`, en: `${pages.length} page(s) scanned` })),
      el("ul", { class: "apply-pages" }, pages.map((id) => pageThumb(root, m.code, id))), scan);
  }

  function renderMaterials(root, draft) {
    if (draft.pending) return renderPreview(root, draft, draft.pending[0], draft.pending[1]);
    const missing = draft.materials.filter((m) => m.required && !(draft.pages[m.code] || []).length);
    const next = button({ zh: "下一步：填写申请表", en: "Next: fill in the form" }, () => go("form"), { id: "apply-next", disabled: missing.length > 0 });
    frame(root, draft, "materials",
      el("p", { class: "apply-intro" }, K.t({ zh: "将材料原件正面朝上平放在高拍仪下方，点“扫描”。多页材料请逐页扫描。", en: "Lay each original face up under the document camera and press Scan, one page at a time." })),
      el("ul", { class: "apply-materials" }, draft.materials.map((m) => materialRow(root, draft, m))),
      missing.length ? el("p", { class: "apply-missing" }, K.t({ zh: "还需扫描：" + missing.map((m) => m.name).join("、"), en: "Still to scan: " + missing.map((m) => m.name_en || m.name).join(", ") })) : null,
      el("div", { class: "apply-nav" }, button({ zh: "上一步", en: "Back" }, () => go("situation"), { class: "plain" }), next));
  }

  async function scanPage(root, m) {
    root.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    status(root, "info", { zh: "正在扫描，请不要移动材料…", en: "Scanning: please keep the page still…" });
    const a = await K.api("POST", `/apply/materials/${encodeURIComponent(m.code)}/scan`);
    root.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    if (a.status === 422 && a.data && a.data.code === "blank_page") {
      status(root, "warn", errorWords(a));
      if (K.speak) K.speak(errorWords(a));
      return;
    }
    if (!a.ok) { status(root, "error", errorWords(a)); return; }
    go("materials");
  }

  function renderPreview(root, draft, code, id) {
    const m = draft.materials.find((x) => x.code === code) || { name: code };
    const act = (method, path) => async () => {
      const a = await K.api(method, path);
      if (a.ok) go("materials"); else status(root, "error", errorWords(a));
    };
    const base = `/apply/materials/${encodeURIComponent(code)}/pages/${id}`;
    frame(root, draft, "materials",
      el("h2", {}, K.t({ zh: `请确认：${m.name}`, en: `Please check: ${m.name_en || m.name}` })),
      el("p", {}, K.t({ zh: "文字清晰、四边完整即可使用；否则请重拍。", en: "Use it if the text is sharp and all four edges are in; otherwise retake it." })),
      el("img", { class: "apply-preview", src: `/kiosk/api/apply/pages/${id}.jpg`, alt: K.t({ zh: "刚扫描的一页", en: "The page just scanned" }) }),
      el("div", { class: "apply-nav" },
        button({ zh: "重拍", en: "Retake" }, act("DELETE", base), { id: "apply-retake", class: "plain" }),
        button({ zh: "使用此页", en: "Use this page" }, act("POST", base + "/accept"), { id: "apply-accept" })));
  }

  // --- the e-form ---
  async function renderForm(root, draft, alive) {
    const a = await K.api("GET", "/apply/form");
    if (!alive()) return;
    if (!a.ok) { frame(root, draft, "form"); status(root, "error", errorWords(a)); return; }
    const box = el("div", { class: "apply-form" });
    frame(root, draft, "form", el("h2", {}, K.t({ zh: a.data.form.title, en: a.data.form.title_en || a.data.form.title })), box);
    // what is typed is kept by the agent as it is typed (a restart loses nothing); the
    // problems are shown only when the citizen presses Next
    let timer = null;
    const keep = (values) => { clearTimeout(timer); timer = setTimeout(() => K.api("PUT", "/apply/form", { data: values }), 800); };
    const f = K.form(box, a.data.form, { data: a.data.data, card: a.data.card, onChange: keep });
    const next = button({ zh: "下一步：核对", en: "Next: review" }, async () => {
      clearTimeout(timer);
      const r = await K.api("PUT", "/apply/form", { data: f.values() });
      if (r.ok) { go("review"); return; }
      if (r.data && r.data.problems) f.showProblems(r.data.problems);
      status(root, "error", errorWords(r));
    }, { id: "apply-next" });
    root.append(el("div", { class: "apply-nav" }, button({ zh: "上一步", en: "Back" }, () => go("materials"), { class: "plain" }), next));
  }

  // --- review and submit ---
  /** A typed value as the review shows it: numbers a bystander could copy are masked. */
  function shownValue(f, v) {
    const text = String(v);
    if (f.input === "bank_card") return "**** **** " + text.slice(-4);
    if (f.input === "phone") return text.slice(0, 3) + "****" + text.slice(-4);
    if (f.input === "id_number") return text.slice(0, 4) + "**********" + text.slice(-4);
    if (typeof v === "boolean") return K.t(v ? { zh: "是", en: "Yes" } : { zh: "否", en: "No" });
    return text;
  }

  function renderReview(root, draft) {
    const form = draft.form || { sections: [] };
    const rows = form.sections.flatMap((s) => s.fields).filter((f) => !f.from_card && draft.form_data[f.key] !== undefined)
      .flatMap((f) => [el("dt", {}, K.t({ zh: f.label, en: f.label_en || f.label })), el("dd", { "data-field": f.key }, shownValue(f, draft.form_data[f.key]))]);
    const submit = button({ zh: "确认提交", en: "Submit" }, async () => {
      submit.disabled = true;
      status(root, "info", { zh: "正在提交，请稍候…", en: "Submitting, please wait…" });
      const a = await K.api("POST", "/apply/submit");
      submit.disabled = false;
      if (!a.ok) { status(root, "error", errorWords(a)); return; }
      K.go("apply", { step: "done", result: a.data });
    }, { id: "apply-submit" });
    frame(root, draft, "review",
      el("dl", { class: "apply-facts" },
        el("dt", {}, K.t({ zh: "申请人", en: "Applicant" })), el("dd", {}, `${draft.card.name}（${draft.card.id_number}）`), ...rows),
      el("h2", {}, K.t({ zh: "材料", en: "Materials" })),
      el("ul", { class: "apply-summary" }, draft.materials.filter((m) => (draft.pages[m.code] || []).length).map((m) =>
        el("li", {}, K.t({ zh: `${m.name}：${draft.pages[m.code].length} 页`, en: `${m.name_en || m.name}: ${draft.pages[m.code].length} page(s)` })))),
      el("div", { class: "apply-nav" }, button({ zh: "上一步", en: "Back" }, () => go("form"), { class: "plain" }), submit));
  }

  function renderDone(root, result) {
    K.dirty = true;
    inProgress = false;
    root.append(
      el("p", { class: "apply-done", role: "status" }, K.t({ zh: "申报已提交，等待窗口受理。", en: "Your application was submitted and awaits a clerk." })),
      el("p", { class: "apply-caseno" }, K.t({ zh: "办件编号：", en: "Case no.: " }), el("strong", { id: "apply-case-no" }, result.case_no)),
      result.print_problem ? K.message("warn", { zh: result.print_problem, en: result.print_problem_en || result.print_problem })
        : el("p", {}, K.t({ zh: "回执正在打印，请取走。可凭办件编号在“办件查询”中查看进度。", en: "Your receipt is printing: please take it. Follow the case under Case progress." })),
      button({ zh: "完成", en: "Done" }, () => K.clearAll(), { id: "apply-finish" }));
    if (K.speak) K.speak({ zh: "申报已提交，请取走回执", en: "Submitted. Please take your receipt." });
  }

  // a newer render (the citizen moved on, the language changed) makes an older one stop
  let generation = 0;

  async function render(root, params) {
    const mine = ++generation;
    if (params.step === "done") { renderDone(root, params.result); return; }
    const a = await K.api("GET", "/apply/draft");
    if (mine !== generation) return;
    if (!a.ok) { root.append(el("div", { class: "apply-status" }, K.message("error", errorWords(a)))); return; }
    const draft = a.data.draft;
    inProgress = !!draft;
    if (!draft || !draft.questions) { await renderChoose(root, params, () => mine === generation); return; }
    K.dirty = true;
    const step = params.step || (draft.pending || Object.keys(draft.pages).length ? "materials" : "situation");
    ({ situation: renderSituation, materials: renderMaterials, form: renderForm, review: renderReview }[step] || renderSituation)(root, draft, () => mine === generation);
  }

  K.screen({
    id: "apply",
    order: 15,
    network: true,
    tile: { zh: "自助申报", en: "Apply", icon: "📝" },
    title: { zh: "自助申报", en: "Self-service application" },
    render,
  });
})();
