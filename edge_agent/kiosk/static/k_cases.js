// Case progress (办件查询): by the ID card read here, a typed ID number (checked by the agent
// with the GB 11643 check digit) or a case number → each case's timeline, printable on the
// kiosk's receipt printer. Nothing is kept: the results leave the screen at exit or idle.
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  // What is on screen lives in the screen's params: a language switch redraws it, a new visit
  // from the home tiles starts empty, a clear (exit, idle) drops it with the screen.
  let current = {};

  // The stylesheet of this feature, served by the agent like every asset (no inline styles).
  document.head.append(el("link", { rel: "stylesheet", href: "/kiosk/static/k_cases.css" }));

  /** The citizen's sentence of a failed answer: the cloud's citizen_message first. */
  function errorText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function requestId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "case-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function status(root, kind, words) {
    const box = root.querySelector(".cases-status");
    box.replaceChildren(K.message(kind, typeof words === "string" ? { zh: words, en: words } : words));
  }

  async function printCase(root, c, button) {
    button.disabled = true;
    status(root, "info", { zh: "正在打印…", en: "Printing…" });
    const a = await K.api("POST", `/cases/${encodeURIComponent(c.case_no)}/print`, { request_id: requestId() });
    button.disabled = false;
    if (a.ok) status(root, "ok", { zh: "正在打印，请在出纸口取走凭条。", en: "Printing: please take the slip from the printer." });
    else status(root, "error", errorText(a));
  }

  function stepItem(s) {
    return el("li", { class: "step step-" + s.code },
      el("span", { class: "step-when" }, when(s.at)),
      el("strong", { class: "step-name" }, s.name),
      el("span", { class: "step-result" }, s.result || ""),
      s.opinion ? el("p", { class: "step-opinion" }, s.opinion) : null,
      s.department ? el("p", { class: "step-dept" }, s.department) : null);
  }

  function caseCard(root, c) {
    const print = el("button", { type: "button", class: "plain", "data-print": c.case_no }, K.t({ zh: "打印办理进度", en: "Print progress" }));
    print.addEventListener("click", () => printCase(root, c, print));
    const facts = [
      [{ zh: "办件编号", en: "Case no." }, c.case_no],
      [{ zh: "办理部门", en: "Department" }, c.department],
      [{ zh: "受理地点", en: "Accepted at" }, c.hall],
      [{ zh: "申请人", en: "Applicant" }, c.applicant],
      [{ zh: "受理时间", en: "Accepted" }, when(c.accepted_at)],
      [{ zh: "承诺办结", en: "Due" }, when(c.promised_at)],
    ].filter(([, v]) => v);
    return el("article", { class: "case", "data-case": c.case_no },
      el("h2", { class: "case-item" }, c.item),
      el("p", { class: "case-state state-" + c.status },
        K.t({ zh: "当前状态：", en: "Status: " }), el("strong", {}, K.t({ zh: c.status_name, en: c.status_name_en }))),
      el("dl", { class: "case-facts" }, facts.flatMap(([k, v]) => [el("dt", {}, K.t(k)), el("dd", {}, v)])),
      c.steps.length ? el("ol", { class: "timeline", "aria-label": K.t({ zh: "办理过程", en: "Timeline" }) }, c.steps.map(stepItem))
        : el("p", {}, K.t({ zh: "该办件不提供办理过程，请到窗口查询。", en: "No timeline is shown for this case; please ask at a window." })),
      c.steps.length ? print : null);
  }

  function pager(root, answer, query) {
    if (answer.pages <= 1) return null;
    const go = (page) => lookup(root, { ...query, page });
    const prev = el("button", { type: "button", class: "plain", disabled: answer.page <= 1 }, K.t({ zh: "上一页", en: "Previous" }));
    const next = el("button", { type: "button", class: "plain", disabled: answer.page >= answer.pages }, K.t({ zh: "下一页", en: "Next" }));
    prev.addEventListener("click", () => go(answer.page - 1));
    next.addEventListener("click", () => go(answer.page + 1));
    return el("nav", { class: "cases-pager", "aria-label": K.t({ zh: "翻页", en: "Pages" }) },
      prev, el("span", {}, K.t({ zh: `第 ${answer.page} / ${answer.pages} 页`, en: `Page ${answer.page} of ${answer.pages}` })), next);
  }

  function showResult(root, answer, query) {
    current.answer = answer;
    current.query = query;
    K.dirty = true;
    const out = root.querySelector(".cases-result");
    const head = answer.total
      ? K.t({ zh: `共找到 ${answer.total} 件办件`, en: `${answer.total} case(s) found` })
      : K.t({ zh: "没有查到您的办件。如已在窗口办理，请稍后再查或咨询窗口。", en: "No cases were found. If you applied at a window, check again later or ask there." });
    const nav = pager(root, answer, query);
    out.replaceChildren(el("p", { class: "cases-count", role: "status" }, head),
      ...answer.cases.map((c) => caseCard(root, c)), ...(nav ? [nav] : []));
    if (K.speak) K.speak(answer.total ? { zh: `共找到 ${answer.total} 件办件`, en: `${answer.total} case(s) found` } : { zh: "没有查到您的办件", en: "No cases were found" });
    const first = out.querySelector(".case-item");
    if (first) first.scrollIntoView({ block: "start" });
  }

  async function lookup(root, query) {
    status(root, "info", { zh: "正在查询，请稍候…", en: "Looking up, please wait…" });
    const a = await K.api("POST", "/cases/lookup", query);
    if (!a.ok) { status(root, "error", errorText(a)); return; }
    root.querySelector(".cases-status").replaceChildren();
    showResult(root, a.data, query);
  }

  async function byCard(root) {
    if (K.readCard) {
      const card = await K.readCard();
      if (!card || card.ok === false || card.error) {
        if (card && (card.data || card.error)) status(root, "error", card.data ? errorText(card) : card.error);
        return;
      }
    }
    await lookup(root, { source: "card" });
  }

  function typed(root, id, label, kind, name) {
    const input = el("input", { id, type: "text", autocomplete: "off", spellcheck: "false", maxlength: kind === "id_number" ? 18 : 40, class: "cases-input" });
    input.addEventListener("input", () => { K.dirty = true; });
    if (K.keyboard) K.keyboard(input, kind);
    const go = el("button", { type: "button", class: "big", "data-go": name }, K.t({ zh: "查询", en: "Look up" }));
    go.addEventListener("click", () => {
      const value = input.value.trim();
      if (!value) { status(root, "warn", { zh: "请先输入号码。", en: "Please type the number first." }); input.focus(); return; }
      lookup(root, { [name]: value });
    });
    return el("div", { class: "cases-typed" }, el("label", { for: id }, K.t(label)), el("div", { class: "cases-row" }, input, go));
  }

  function render(root, params) {
    current = params;
    const card = el("button", { type: "button", class: "big", id: "cases-card" }, K.t({ zh: "刷身份证查询", en: "Use my ID card" }));
    card.addEventListener("click", () => byCard(root));
    root.append(
      el("p", { class: "cases-intro" }, K.t({ zh: "查询您在政务服务大厅办理事项的进度：请刷身份证，或输入身份证号码、受理回执上的办件编号。", en: "See how your applications are progressing: use your ID card, or type your ID number or the case number on your receipt." })),
      el("div", { class: "cases-card" }, card),
      typed(root, "cases-id", { zh: "或输入身份证号码", en: "Or type your ID number" }, "id_number", "id_number"),
      typed(root, "cases-no", { zh: "或输入办件编号", en: "Or type the case number" }, "alnum", "case_no"),
      el("div", { class: "cases-status", "aria-live": "polite" }),
      el("section", { class: "cases-result", "aria-label": K.t({ zh: "查询结果", en: "Results" }) }));
    if (params.answer) showResult(root, params.answer, params.query);
  }

  K.screen({
    id: "cases",
    order: 30,
    network: true,
    tile: { zh: "办件查询", en: "Case progress", icon: "🔎" },
    title: { zh: "办件进度查询", en: "Case progress" },
    render,
  });
})();
