// 证明开具 and 证照: the four certificates (previewed masked, printed on A4 with a verification
// QR), 我的电子证照 (the citizen's licences from the 电子证照库), and 社会保障卡挂失/解挂. Each
// needs the citizen's identity: the ID card and a code texted to the phone on file — the same
// check as the person queries (K.verifyIdentity, k_queries.js). The card, the code and the
// identity token stay in the agent's session; this screen sees masked answers only.
"use strict";

(function () {
  const K = window.Kiosk;
  let listing = null; // {certificates, available, library, social_card}: nothing personal
  let gen = 0; // an answer that returns after the citizen moved on is dropped
  const stale = (my) => my !== gen;

  K.onClear(() => { listing = null; gen++; });

  function backButton() {
    return K.el("button", { type: "button", class: "plain", onclick: () => K.back() }, K.t({ zh: "返回", en: "Back" }));
  }

  function errText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return K.t({ zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message });
    return K.errorText(answer);
  }

  function requestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "r" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  async function load(root, my) {
    if (listing) return listing;
    root.replaceChildren(K.message("info", { zh: "正在加载…", en: "Loading…" }));
    const answer = await K.api("GET", "/certificates");
    if (stale(my)) return null;
    if (!answer.ok) { root.replaceChildren(K.message("error", errText(answer)), backButton()); return null; }
    listing = answer.data;
    return listing;
  }

  function entry(id, words, open, onclick) {
    const note = open ? { zh: "需刷身份证并验证手机", en: "ID card and phone code" } : { zh: "暂未开通", en: "Not available yet" };
    return K.el("li", {}, K.el("button", { type: "button", class: "plain kq-item", "data-cert": id, "aria-disabled": open ? null : "true", onclick: () => (open ? onclick() : null) },
      K.el("span", { class: "kq-name" }, K.t(words)), K.el("span", { class: "kq-note" }, K.t(note))));
  }

  async function renderHome(root) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const certs = got.certificates.map((c) => entry(c.kind, { zh: c.name, en: c.name_en }, got.available.includes(c.kind), () => K.go("certs-preview", { kind: c.kind })));
    root.replaceChildren(
      K.el("h2", {}, K.t({ zh: "证明开具", en: "Certificates" })), K.el("ul", { class: "kq-list" }, certs),
      K.el("h2", {}, K.t({ zh: "证照与社保卡", en: "Licences and social security card" })),
      K.el("ul", { class: "kq-list" },
        entry("licences", { zh: "我的电子证照", en: "My licences" }, got.library, () => K.go("certs-licences", {})),
        entry("social-card", { zh: "社会保障卡挂失/解挂", en: "Report a social security card lost, or lift it" }, got.social_card, () => K.go("certs-card", {}))),
      backButton());
  }

  /** Run `ask` as the verified citizen: on 403 identity_required, the identity check first. */
  async function asCitizen(root, my, ask, label, render) {
    const answer = await ask();
    if (stale(my)) return;
    if (answer.status === 403 && answer.data && answer.data.code === "identity_required") {
      const status = K.el("div", { id: "kc-status", "aria-live": "polite" });
      const actions = K.el("div", { class: "kq-actions" });
      actions.append(K.message("info", { zh: "本业务涉及个人信息：请刷身份证，并输入发送到您登记手机上的验证码。", en: "This is about you: read your ID card and type the code texted to your phone on file." }),
        K.el("button", { type: "button", class: "big", id: "kc-card", onclick: () => (typeof K.verifyIdentity === "function"
          ? K.verifyIdentity(status, actions, () => { if (!stale(my)) asCitizen(root, my, ask, label, render); }, label)
          : status.replaceChildren(K.message("error", { zh: "身份核验暂不可用，请到窗口办理。", en: "The identity check is not available here. Please ask at a window." }))) },
          K.t({ zh: "刷身份证并获取验证码", en: "Read ID card and get a code" })));
      root.replaceChildren(status, actions, backButton());
      return;
    }
    if (!answer.ok) { root.replaceChildren(K.message("error", errText(answer)), backButton()); return; }
    K.dirty = true;
    render(answer.data);
  }

  function record(fields, values) {
    return K.el("dl", { class: "kq-record", id: "kc-facts" }, fields.flatMap((f) => [K.el("dt", {}, K.t({ zh: f.label, en: f.label_en })), K.el("dd", {}, values[f.key] || "—")]));
  }

  async function renderPreview(root, params) {
    const my = ++gen;
    const got = await load(root, my);
    if (!got || stale(my)) return;
    const decl = got.certificates.find((c) => c.kind === params.kind);
    if (!decl) { root.replaceChildren(K.message("error", { zh: "没有这项证明。", en: "No such certificate." }), backButton()); return; }
    K.title({ zh: decl.name, en: decl.name_en });
    root.replaceChildren(K.message("info", { zh: "正在查询，请稍候…", en: "Looking it up, please wait…" }));
    const rid = requestId(); // one print of this certificate, whatever the retries
    await asCitizen(root, my, () => K.api("POST", "/certificates/" + decl.kind), { zh: "确认并查询证明", en: "Confirm and look it up" }, (data) => {
      const status = K.el("div", { id: "kc-status", "aria-live": "polite" });
      const print = K.el("button", { type: "button", class: "big", id: "kc-print", onclick: async () => {
        print.disabled = true;
        status.replaceChildren(K.message("info", { zh: "正在出具证明…", en: "Issuing the certificate…" }));
        const done = await K.api("POST", "/certificates/" + decl.kind + "/print", { request_id: rid });
        if (stale(my)) return;
        if (!done.ok) { print.disabled = false; status.replaceChildren(K.message("error", errText(done))); return; }
        status.replaceChildren(K.message("ok", { zh: `正在打印，请在A4打印口取走证明。证明编号 ${done.data.number}`, en: `Printing: take the certificate from the A4 printer. Number ${done.data.number}` }));
      } }, K.t({ zh: "打印证明", en: "Print the certificate" }));
      root.replaceChildren(status, K.message("info", { zh: "请核对以下信息（屏幕上部分信息已隐去，打印件完整）。", en: "Check the details (partly hidden on screen; complete on paper)." }),
        record(decl.fields, data.fields), K.el("div", { class: "kq-actions" }, print), backButton());
    });
  }

  async function renderLicences(root) {
    const my = ++gen;
    K.title({ zh: "我的电子证照", en: "My licences" });
    root.replaceChildren(K.message("info", { zh: "正在查询，请稍候…", en: "Looking it up, please wait…" }));
    await asCitizen(root, my, () => K.api("POST", "/licences", { page: 1 }), { zh: "确认并查询证照", en: "Confirm and look up" }, (data) => {
      const cols = [["name", { zh: "证照名称", en: "Licence" }], ["number", { zh: "证照编号", en: "Number" }], ["issuer", { zh: "发证机关", en: "Issued by" }], ["issued_on", { zh: "发证日期", en: "Issued on" }], ["status", { zh: "状态", en: "Status" }]];
      const table = data.licences.length ? K.el("div", { class: "kq-table-wrap" }, K.el("table", { class: "kq-table", id: "kc-licences" },
        K.el("thead", {}, K.el("tr", {}, cols.map(([, w]) => K.el("th", { scope: "col" }, K.t(w))))),
        K.el("tbody", {}, data.licences.map((l) => K.el("tr", {}, cols.map(([k]) => K.el("td", {}, l[k] || "—")))))))
        : K.message("info", { zh: "电子证照库中暂无您的证照。", en: "No licences of yours are in the library." });
      root.replaceChildren(K.el("p", {}, K.t({ zh: `共 ${data.total} 项`, en: `${data.total} in all` })), table, backButton());
    });
  }

  const STATE = { lost: { zh: "临时挂失", en: "Reported lost" }, normal: { zh: "正常", en: "In use" } };

  async function renderCard(root) {
    const my = ++gen;
    K.title({ zh: "社会保障卡挂失/解挂", en: "Social security card" });
    root.replaceChildren(K.message("info", { zh: "正在查询，请稍候…", en: "Looking it up, please wait…" }));
    await asCitizen(root, my, () => K.api("POST", "/social-card"), { zh: "确认并查询社保卡", en: "Confirm and look up the card" }, (data) => {
      const status = K.el("div", { id: "kc-status", "aria-live": "polite" });
      const action = data.state === "lost" ? "unloss" : "loss";
      const words = action === "loss" ? { zh: "确认挂失", en: "Report it lost" } : { zh: "确认解挂", en: "Lift the loss" };
      const rid = requestId(); // one change, however often the button is pressed
      const button = K.el("button", { type: "button", class: "big", id: "kc-" + action, onclick: async () => {
        button.disabled = true;
        const done = await K.api("POST", "/social-card/" + action, { request_id: rid });
        if (stale(my)) return;
        if (!done.ok) { button.disabled = false; status.replaceChildren(K.message("error", errText(done))); return; }
        const now = STATE[done.data.state] || { zh: done.data.state, en: done.data.state };
        status.replaceChildren(K.message("ok", { zh: `办理成功，卡状态：${now.zh}。请取走回执。`, en: `Done; the card is now: ${now.en}. Please take your receipt.` }));
      } }, K.t(words));
      root.replaceChildren(status, record([{ key: "card", label: "社会保障卡号", label_en: "Card" }, { key: "bank", label: "服务银行", label_en: "Bank" }, { key: "state", label: "卡状态", label_en: "State" }],
        { ...data, state: K.t(STATE[data.state] || { zh: data.state, en: data.state }) }),
      K.message("info", action === "loss" ? { zh: "挂失后该卡的金融和社保功能将暂停使用。", en: "Once reported lost, the card's payment and insurance functions stop." } : { zh: "解挂后该卡恢复使用。", en: "Once lifted, the card works again." }),
      K.el("div", { class: "kq-actions" }, button), backButton());
    });
  }

  K.screen({ id: "certs", order: 40, network: true, tile: { zh: "证明开具", en: "Certificates", icon: "📄" }, title: { zh: "证明开具与证照", en: "Certificates and licences" }, render: renderHome });
  K.screen({ id: "certs-preview", title: { zh: "证明开具", en: "Certificates" }, render: renderPreview });
  K.screen({ id: "certs-licences", title: { zh: "我的电子证照", en: "My licences" }, render: renderLicences });
  K.screen({ id: "certs-card", title: { zh: "社会保障卡挂失/解挂", en: "Social security card" }, render: renderCard });
})();
