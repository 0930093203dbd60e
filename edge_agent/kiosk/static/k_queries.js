// 便民查询: categories → a query → its inputs (on-screen keyboards) → for a person query the
// ID card and a code texted to the phone on file → the masked result (record, table or
// timeline; paged) → print when the declaration allows. Nothing personal is kept here past
// the screen: the card, the code's ticket and the identity token stay in the agent's session.
"use strict";

(function () {
  const K = window.Kiosk;
  const CATEGORIES = {
    social: { zh: "社保医保", en: "Social insurance" },
    household: { zh: "户籍证件", en: "Household & ID" },
    education: { zh: "教育", en: "Education" },
    housing: { zh: "住房", en: "Housing" },
    welfare: { zh: "民生保障", en: "Welfare" },
    transport: { zh: "交通出行", en: "Transport" },
  };
  let listing = null; // {queries, available}: declarations only, nothing personal
  // Each render takes a number; an answer that comes back after another render started (the
  // citizen moved on, 退出, the language changed) is dropped instead of taking the screen.
  let gen = 0;
  const stale = (my) => my !== gen;

  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/kiosk/static/k_queries.css";
  document.head.append(css);

  K.onClear(() => { listing = null; K.dirty = false; gen++; });

  async function load(root, my) {
    if (listing) return listing;
    root.replaceChildren(K.message("info", { zh: "正在加载…", en: "Loading…" }));
    const answer = await K.api("GET", "/queries");
    if (stale(my)) return null;
    if (!answer.ok) { root.replaceChildren(K.message("error", errText(answer)), backButton()); return null; }
    listing = answer.data;
    return listing;
  }

  function backButton() {
    return K.el("button", { type: "button", class: "plain", onclick: () => K.back() }, K.t({ zh: "返回", en: "Back" }));
  }

  /** The citizen's sentence of a failed answer (the cloud's citizen_message), else the shell's. */
  function errText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  function say(words) { if (K.speak) K.speak(K.t(words)); }

  function catName(code) { return CATEGORIES[code] || { zh: code, en: code }; }

  async function renderCategories(root) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const cats = [...new Set(got.queries.map((q) => q.category))];
    root.replaceChildren(K.el("ul", { class: "tiles" }, cats.map((c) =>
      K.el("li", {}, K.el("button", { type: "button", class: "tile", "data-category": c, onclick: () => K.go("queries-list", { category: c }) }, K.t(catName(c)))))));
  }

  async function renderList(root, params) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const mine = got.queries.filter((q) => q.category === params.category);
    K.title(catName(params.category));
    root.replaceChildren(K.el("ul", { class: "kq-list" }, mine.map((q) => {
      const open = got.available.includes(q.code);
      const note = open ? (q.identity === "person" ? { zh: "需刷身份证并验证手机", en: "ID card and phone code" } : { zh: "无需身份核验", en: "No ID needed" })
        : { zh: "暂未开通", en: "Not available yet" };
      return K.el("li", {}, K.el("button", { type: "button", class: "plain kq-item", "data-query": q.code, "aria-disabled": open ? null : "true",
        onclick: () => (open ? K.go("queries-item", { code: q.code }) : null) },
      K.el("span", { class: "kq-name" }, K.t({ zh: q.name, en: q.name_en })), K.el("span", { class: "kq-note" }, K.t(note))));
    })), backButton());
  }

  function decl(code) { return listing && listing.queries.find((q) => q.code === code); }

  function inputField(spec, values) {
    const id = "kq-in-" + spec.name;
    const label = K.el("label", { for: id }, K.t({ zh: spec.label, en: spec.label_en }));
    if (spec.kind === "select") {
      const select = K.el("select", { id, name: spec.name, onchange: (e) => { values[spec.name] = e.target.value; } },
        K.el("option", { value: "" }, K.t({ zh: "请选择", en: "Choose" })),
        spec.options.map(([v, zh, en]) => K.el("option", { value: v }, K.t({ zh, en }))));
      return [label, select];
    }
    if (spec.kind === "plate") return plateField(spec, values, id, label);
    if (spec.kind === "date") {
      return [label, K.el("input", { id, name: spec.name, type: "date", onchange: (e) => { values[spec.name] = e.target.value; } })];
    }
    const input = K.el("input", { id, name: spec.name, autocomplete: "off", inputmode: spec.kind === "digits" || spec.kind === "phone" ? "numeric" : "text",
      oninput: (e) => { values[spec.name] = e.target.value; K.dirty = true; } });
    if (K.keyboard) K.keyboard(input, ["digits", "id_number", "phone"].includes(spec.kind) ? spec.kind : "alnum");
    return [label, input];
  }

  // A plate (青H12345): the province's character from a list (the on-screen keyboard has no
  // Chinese), the rest typed with the letters-and-digits keyboard.
  const PROVINCES = "青甘川藏新宁陕京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝贵云".split("");
  function plateField(spec, values, id, label) {
    let province = "青", rest = "";
    const set = () => { values[spec.name] = rest ? province + rest.toUpperCase() : ""; K.dirty = true; };
    const pick = K.el("select", { id: id + "-province", "aria-label": K.t({ zh: "车牌省份简称", en: "Plate province" }), onchange: (e) => { province = e.target.value; set(); } },
      PROVINCES.map((p) => K.el("option", { value: p }, p)));
    const input = K.el("input", { id, name: spec.name, autocomplete: "off", maxlength: "7", oninput: (e) => { rest = e.target.value.trim(); set(); } });
    if (K.keyboard) K.keyboard(input, "alnum");
    return [label, K.el("div", { class: "kq-plate" }, pick, input)];
  }

  async function renderItem(root, params) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const q = decl(params.code);
    if (!q) { root.replaceChildren(K.message("error", { zh: "没有这项查询。", en: "No such query." }), backButton()); return; }
    K.title({ zh: q.name, en: q.name_en });
    const values = Object.assign({}, params.inputs || {});
    const status = K.el("div", { id: "kq-status", "aria-live": "polite" });
    if (params.notice) status.append(K.message("warn", params.notice));
    const form = K.el("div", { class: "kq-form" }, q.inputs.flatMap((spec) => inputField(spec, values)));
    const run = () => K.go("queries-result", { code: q.code, inputs: values, page: 1 });
    const actions = K.el("div", { class: "kq-actions" });
    if (q.identity === "person") {
      actions.append(K.message("info", { zh: "本查询涉及个人信息：请刷身份证，并输入发送到您登记手机上的验证码。", en: "This query is about you: read your ID card and type the code texted to your phone on file." }),
        K.el("button", { type: "button", class: "big", id: "kq-card", onclick: () => startIdentity(status, actions, run, my) }, K.t({ zh: "刷身份证并获取验证码", en: "Read ID card and get a code" })));
    } else {
      actions.append(K.el("button", { type: "button", class: "big", id: "kq-run", onclick: run }, K.t({ zh: "查询", en: "Search" })));
    }
    root.replaceChildren(status, form, actions, backButton());
  }

  async function readCard() {
    if (K.readCard) return K.readCard();
    return K.api("POST", "/idcard/read", { timeout_s: 15 });
  }

  async function startIdentity(status, actions, run, my, label) {
    status.replaceChildren(K.message("info", { zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" }));
    const held = await K.api("GET", "/identity");
    if (!(held.ok && held.data.card)) { // a card read earlier in this session is used as it is
      say({ zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" });
      const card = await readCard();
      if (card && card.ok === false) { status.replaceChildren(K.message("error", errText(card))); return; }
    }
    K.dirty = true;
    const sent = await K.api("POST", "/identity/otp");
    if (!sent.ok) { status.replaceChildren(K.message("error", errText(sent))); return; }
    const phone = sent.data.phone_masked;
    status.replaceChildren(K.message("ok", { zh: `验证码已发送至 ${phone}，5 分钟内有效`, en: `A code was sent to ${phone}; it is valid for 5 minutes` }));
    const code = K.el("input", { id: "kq-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" });
    if (K.keyboard) K.keyboard(code, "digits");
    const confirm = async () => {
      const ok = await K.api("POST", "/identity/verify", { code: code.value.trim() });
      if (stale(my)) return; // the citizen left this screen meanwhile
      if (!ok.ok) { status.replaceChildren(K.message("error", errText(ok))); code.value = ""; return; }
      run();
    };
    actions.replaceChildren(K.el("label", { for: "kq-code" }, K.t({ zh: "短信验证码", en: "Code from the text message" })), code,
      K.el("button", { type: "button", class: "big", id: "kq-verify", onclick: confirm }, K.t(label || { zh: "确认并查询", en: "Confirm and search" })),
      K.el("button", { type: "button", class: "plain", id: "kq-resend", onclick: () => startIdentity(status, actions, run, my, label) }, K.t({ zh: "重新获取验证码", en: "Send a new code" })));
    code.focus();
  }

  function fieldsOf(q) { return q.fields.map((f) => [f.key, K.t({ zh: f.label, en: f.label_en })]); }

  function renderRows(q, rows) {
    if (!rows.length) return K.message("info", { zh: "未查询到记录。", en: "No records found." });
    const fields = fieldsOf(q);
    if (q.layout === "record") {
      return K.el("dl", { class: "kq-record" }, fields.map(([k, label]) => [K.el("dt", {}, label), K.el("dd", {}, rows[0][k] || "—")]));
    }
    if (q.layout === "timeline") {
      return K.el("ol", { class: "kq-timeline" }, rows.map((r) => K.el("li", {}, fields.map(([k, label]) => K.el("div", {}, K.el("strong", {}, label + "："), r[k] || "—")))));
    }
    return K.el("div", { class: "kq-table-wrap" }, K.el("table", { class: "kq-table" },
      K.el("thead", {}, K.el("tr", {}, fields.map(([, label]) => K.el("th", { scope: "col" }, label)))),
      K.el("tbody", {}, rows.map((r) => K.el("tr", {}, fields.map(([k]) => K.el("td", {}, r[k] || "—")))))));
  }

  async function renderResult(root, params) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const q = decl(params.code);
    K.title({ zh: q.name, en: q.name_en });
    root.replaceChildren(K.message("info", { zh: "正在查询，请稍候…", en: "Searching, please wait…" }));
    const body = { inputs: params.inputs || {}, page: params.page || 1 };
    const answer = await K.api("POST", "/queries/" + q.code, body);
    if (stale(my)) return;
    if (answer.status === 403 && answer.data && answer.data.code === "identity_required") {
      K.back(); return;
    }
    if (!answer.ok) { root.replaceChildren(K.message("error", errText(answer)), backButton()); return; }
    K.dirty = true;
    const d = answer.data;
    const status = K.el("div", { "aria-live": "polite" });
    const pager = K.el("div", { class: "kq-actions" });
    if (d.pages > 1) {
      pager.append(K.el("button", { type: "button", class: "plain", id: "kq-prev", disabled: d.page <= 1 ? true : null, onclick: () => renderResult(root, { ...params, page: d.page - 1 }) }, K.t({ zh: "上一页", en: "Previous" })),
        K.el("span", { class: "kq-page" }, K.t({ zh: `第 ${d.page}/${d.pages} 页，共 ${d.total} 条`, en: `Page ${d.page} of ${d.pages}, ${d.total} in all` })),
        K.el("button", { type: "button", class: "plain", id: "kq-next", disabled: d.page >= d.pages ? true : null, onclick: () => renderResult(root, { ...params, page: d.page + 1 }) }, K.t({ zh: "下一页", en: "Next" })));
    }
    if (q.printable) {
      pager.append(K.el("button", { type: "button", class: "big", id: "kq-print", onclick: async () => {
        const printed = await K.api("POST", "/queries/" + q.code + "/print", body);
        status.replaceChildren(printed.ok ? K.message("ok", { zh: "正在打印，请取走凭条。", en: "Printing: please take your receipt." }) : K.message("error", errText(printed)));
      } }, K.t({ zh: "打印", en: "Print" })));
    }
    const asOf = new Date(d.as_of).toLocaleString(K.lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" });
    root.replaceChildren(status, renderRows(q, d.rows), K.el("p", { class: "kq-asof" }, K.t({ zh: "数据时间：", en: "Data as of " }) + asOf),
      d.notes.map((n) => K.el("p", { class: "kq-note" }, n)), pager, backButton());
  }

  // The same identity check for other services' screens (证明开具, 社保卡挂失: k_certs.js):
  // ID card + code to the phone on file, into `status`/`actions`; `onVerified` once right.
  K.verifyIdentity = (status, actions, onVerified, label) => startIdentity(status, actions, onVerified, ++gen, label);

  K.screen({ id: "queries", order: 30, tile: { zh: "便民查询", en: "Look up records", icon: "🔍" }, title: { zh: "便民查询：请选择类别", en: "Look up records: choose a category" }, render: renderCategories });
  K.screen({ id: "queries-list", title: { zh: "便民查询", en: "Look up records" }, render: renderList });
  K.screen({ id: "queries-item", title: { zh: "便民查询", en: "Look up records" }, render: renderItem });
  K.screen({ id: "queries-result", title: { zh: "查询结果", en: "Result" }, render: renderResult });
})();
