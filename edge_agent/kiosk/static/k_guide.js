// 办事指南 (the service guide): search the catalogue the kiosk holds, offline — Chinese, full
// pinyin or initials (gjj → 公积金) — filter by who / theme / department, open an item, answer
// its situations (the material list changes as you answer), print the guide, scan its QR.
// The agent answers /kiosk/api/guide/... (edge_agent/kiosk/guide.py).
"use strict";

(function () {
  const K = window.Kiosk;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/kiosk/static/k_guide.css";
  document.head.append(css);

  const OBJECTS = [
    { code: "", zh: "全部", en: "All" },
    { code: "person", zh: "个人办事", en: "Individuals" },
    { code: "legal_person", zh: "法人办事", en: "Organisations" },
  ];
  const FORM = {
    original: { zh: "原件", en: "original" },
    copy: { zh: "复印件", en: "copy" },
    original_and_copy: { zh: "原件及复印件", en: "original and copy" },
    electronic: { zh: "电子材料", en: "electronic" },
  };
  // What the search screen remembers while the citizen moves between it and an item.
  let search = { q: "", object: "", theme: "", department: "" };
  let answers = {};
  let answersFor = null; // the item the answers belong to (kept when coming back to it)
  K.onClear(() => { search = { q: "", object: "", theme: "", department: "" }; answers = {}; answersFor = null; });

  const en = (zh, english) => K.t({ zh, en: english || zh });
  const say = (words) => { if (K.speak) K.speak(words); }; // elder mode's spoken prompts, if any
  // A screen drawn after an await must still be the one on show (the citizen may have moved on).
  let drawing = 0;
  const current = (id, mine) => mine === drawing && document.body.dataset.screen === id;

  function sampleBanner(info) {
    if (!info || !info.sample) return null;
    return K.el("p", { class: "sample-banner", role: "note" },
      K.t({ zh: "示例数据：本指南为演示用样例，请以窗口答复为准。", en: "Sample data: this guide is a demonstration; the window's answer prevails." }));
  }

  function chip(label, pressed, onclick) {
    return K.el("button", { type: "button", class: "chip", "aria-pressed": pressed ? "true" : "false", onclick }, label);
  }

  function chipRow(name, chips) {
    return K.el("div", { class: "chips", role: "group", "aria-label": K.t(name) }, chips);
  }

  function filters(info, rerun) {
    const set = (key, value) => () => { search[key] = search[key] === value ? "" : value; rerun(true); };
    const rows = [chipRow({ zh: "办事对象", en: "For" },
      OBJECTS.map((o) => chip(K.t(o), search.object === o.code, () => { search.object = o.code; rerun(true); })))];
    if (info.themes && info.themes.length) {
      rows.push(chipRow({ zh: "主题", en: "Theme" },
        info.themes.map((t) => chip(en(t.name, t.name_en), search.theme === t.code, set("theme", t.code)))));
    }
    if (info.departments && info.departments.length) {
      rows.push(chipRow({ zh: "部门", en: "Department" },
        info.departments.map((d) => chip(en(d.name, d.name_en), search.department === d.code, set("department", d.code)))));
    }
    return K.el("div", { class: "filters" }, rows);
  }

  function resultRow(row) {
    const limit = row.time_limit_days ? K.t({ zh: `${row.time_limit_days} 个工作日`, en: `${row.time_limit_days} working days` }) : K.t({ zh: "即办", en: "On the spot" });
    const where = row.here ? null : K.el("span", { class: "g-elsewhere" }, K.t({ zh: "本中心不办理", en: "Not handled here" }));
    return K.el("li", {}, K.el("button", { type: "button", class: "g-row", "data-code": row.code, onclick: () => K.go("guide-item", { code: row.code }) },
      K.el("span", { class: "g-name" }, en(row.name, row.name_en)),
      K.el("span", { class: "g-meta" }, en(row.department_name, row.department_name_en), " · ", limit), where));
  }

  async function renderSearch(root) {
    const mine = ++drawing;
    const info = (await K.api("GET", "/guide/info")).data || {};
    if (!current("guide", mine)) return;
    if (!info.ready) {
      root.replaceChildren(K.message("warn", { zh: "服务指南正在下载，请稍后再试，或咨询工作人员。", en: "The service guide is still being downloaded. Please try again shortly or ask the staff." }),
        K.el("button", { type: "button", class: "big", id: "g-retry", onclick: () => renderSearch(root) }, K.t({ zh: "再试一次", en: "Try again" })));
      return;
    }
    const input = K.el("input", { id: "g-q", type: "search", autocomplete: "off", value: search.q, "aria-describedby": "g-q-hint" });
    const results = K.el("ul", { class: "g-results", "aria-label": K.t({ zh: "搜索结果", en: "Results" }) });
    const count = K.el("p", { class: "g-count", role: "status", "aria-live": "polite" });
    const chips = K.el("div", {});
    let timer = null;
    let asked = 0;
    async function run(redrawChips) {
      if (redrawChips) chips.replaceChildren(filters(info, run));
      const n = ++asked;
      const p = new URLSearchParams(search);
      const answer = await K.api("GET", "/guide/search?" + p.toString());
      if (n !== asked) return; // a newer search is on its way
      if (!answer.ok) { results.replaceChildren(K.message("error", { zh: K.errorText(answer), en: K.errorText(answer) })); return; }
      const rows = answer.data.items || [];
      const found = { zh: `找到 ${answer.data.total} 个事项`, en: `${answer.data.total} services found` };
      count.textContent = K.t(found);
      say(found);
      results.replaceChildren(...(rows.length ? rows.map(resultRow) : [K.el("li", { class: "g-none" }, K.t({ zh: "没有找到，请换个词试试，或咨询工作人员。", en: "Nothing found. Try another word or ask the staff." }))]));
    }
    input.addEventListener("input", () => { search.q = input.value; clearTimeout(timer); timer = setTimeout(() => run(false), 150); });
    // the shell's on-screen keyboard (letters for pinyin and initials), once per input
    if (K.keyboard) K.keyboard(input, "alnum");
    root.replaceChildren(sampleBanner(info) || "",
      K.el("label", { for: "g-q" }, K.t({ zh: "搜索事项", en: "Search services" })),
      K.el("p", { id: "g-q-hint", class: "g-hint" }, K.t({ zh: "可输入汉字、拼音或拼音首字母，如 gjj（公积金）", en: "Type Chinese, pinyin or initials, e.g. gjj (公积金)" })),
      input, chips, count, results);
    await run(true);
  }

  function facts(item) {
    const dd = (label, value) => value ? [K.el("dt", {}, K.t(label)), K.el("dd", {}, value)] : [];
    const days = (n) => n ? K.t({ zh: `${n} 个工作日`, en: `${n} working days` }) : K.t({ zh: "即办", en: "On the spot" });
    const who = { person: { zh: "个人", en: "Individuals" }, legal_person: { zh: "法人", en: "Organisations" }, both: { zh: "个人、法人", en: "Individuals and organisations" } };
    return K.el("dl", { class: "g-facts" },
      dd({ zh: "实施部门", en: "Department" }, en(item.department_name, item.department_name_en)),
      dd({ zh: "办事对象", en: "For" }, K.t(who[item.object])),
      dd({ zh: "承诺时限", en: "Promised time" }, days(item.time_limit_days)),
      dd({ zh: "法定时限", en: "Legal time limit" }, item.legal_limit_days ? days(item.legal_limit_days) : ""),
      dd({ zh: "收费", en: "Fees" }, item.fees),
      dd({ zh: "办理窗口", en: "Windows" }, item.windows_here.length ? item.windows_here.join("、") + K.t({ zh: " 号窗口", en: "" }) : (item.here ? "" : K.t({ zh: "本中心不办理此事项", en: "Not handled at this centre" }))),
      dd({ zh: "办理地点", en: "Place" }, item.place),
      dd({ zh: "咨询电话", en: "Phone" }, item.phone));
  }

  function list(title, entries) {
    if (!entries.length) return null;
    return K.el("section", {}, K.el("h2", {}, K.t(title)), K.el("ul", { class: "g-list" }, entries.map((e) => K.el("li", {}, e))));
  }

  function material(m) {
    const form = FORM[m.form] ? K.t(FORM[m.form]) : m.form;
    const copies = K.t({ zh: `${form} ${m.copies} 份`, en: `${form}, ${m.copies}` });
    const optional = m.required ? null : K.el("span", { class: "g-optional" }, K.t({ zh: "（非必需）", en: " (optional)" }));
    const sub = m.sub.length ? K.el("ul", { class: "g-sub" }, m.sub.map((s) => K.el("li", {}, s.name, s.note ? "：" + s.note : ""))) : null;
    return [K.el("strong", {}, en(m.name, m.name_en)), optional, K.el("span", { class: "g-meta" }, " · ", copies), m.note ? K.el("p", { class: "g-note" }, m.note) : null, sub];
  }

  function question(q, onAnswer) {
    return K.el("fieldset", { class: "g-question", "data-question": q.code },
      K.el("legend", {}, en(q.text, q.text_en)),
      K.el("div", { class: "g-options" }, q.options.map((o) => K.el("button", {
        type: "button", class: "g-option", "data-option": o.code,
        "aria-pressed": answers[q.code] === o.code ? "true" : "false",
        onclick: () => onAnswer(q.code, o.code),
      }, en(o.label, o.label_en)))));
  }

  function situationPart(item, situation, onAnswer) {
    const box = K.el("div", { id: "g-situation" });
    if (situation.questions.length) {
      box.append(K.el("section", {}, K.el("h2", {}, K.t({ zh: "请选择您的情形", en: "Your situation" })),
        ...situation.questions.map((q) => question(q, onAnswer)),
        situation.complete ? null : K.message("info", { zh: "回答以上问题后，材料清单才是完整的。", en: "Answer the questions above to complete the list of materials." })));
    }
    const mats = list({ zh: "所需材料", en: "Materials" }, situation.materials.map(material));
    if (mats) mats.id = "g-materials";
    box.append(mats || K.message("info", { zh: "无需提交材料。", en: "No materials needed." }),
      list({ zh: "需填写的表单", en: "Forms to fill in" }, situation.forms.map((f) => f.name)) || "");
    return box;
  }

  async function renderItem(root, params) {
    const mine = ++drawing;
    const got = await K.api("GET", "/guide/items/" + encodeURIComponent(params.code));
    if (!current("guide-item", mine)) return;
    if (!got.ok) { root.replaceChildren(K.message("error", { zh: K.errorText(got), en: K.errorText(got) }), backButton()); return; }
    const item = got.data;
    K.title({ zh: item.name, en: item.name_en || item.name });
    say({ zh: item.name, en: item.name_en || item.name });
    const holder = K.el("div", {});
    const qrBase = `/kiosk/api/guide/items/${encodeURIComponent(item.code)}/qr.svg`;
    const qr = K.el("img", { src: qrBase, width: "200", height: "200", alt: K.t({ zh: "本事项指南的二维码", en: "QR code of this guide" }) });
    const status = K.el("div", { role: "status", "aria-live": "polite", class: "g-print-status" });
    async function answer(q, o) {
      if (q) answers[q] = o;
      const s = await K.api("POST", `/guide/items/${encodeURIComponent(item.code)}/situation`, { answers });
      if (!s.ok) { holder.replaceChildren(K.message("error", { zh: K.errorText(s), en: K.errorText(s) })); return; }
      answers = Object.assign({}, s.data.answers);
      holder.replaceChildren(situationPart(item, s.data, answer));
      if (q) say({ zh: `需要准备 ${s.data.materials.length} 项材料`, en: `${s.data.materials.length} materials needed` });
      qr.src = qrBase + "?" + new URLSearchParams(answers).toString(); // the phone sees the same
      if (q) { const again = holder.querySelector(`[data-question="${q}"] [data-option="${o}"]`); if (again) again.focus(); }
    }
    async function print() {
      status.replaceChildren(K.message("info", { zh: "正在提交打印…", en: "Sending to the printer…" }));
      const r = await K.api("POST", `/guide/items/${encodeURIComponent(item.code)}/print`, { answers });
      status.replaceChildren(r.ok
        ? K.message("ok", { zh: "正在打印办事指南，请在打印机出纸口取走。", en: "Printing the guide. Please collect it from the printer." })
        : K.message("error", { zh: K.errorText(r), en: K.errorText(r) }));
    }
    root.replaceChildren(sampleBanner(item) || "", facts(item),
      list({ zh: "受理条件", en: "Conditions" }, item.conditions) || "",
      holder,
      list({ zh: "设定依据", en: "Legal basis" }, item.legal_basis) || "",
      K.el("div", { class: "g-actions" },
        K.el("button", { type: "button", class: "big", id: "g-print", onclick: print }, K.t({ zh: "打印办事指南", en: "Print this guide" })),
        backButton()),
      status,
      K.el("figure", { class: "g-qr" },
        qr,
        K.el("figcaption", {}, K.t({ zh: "用手机扫码，随时查看本指南", en: "Scan with your phone to keep this guide" }))));
    await answer(null, null);
  }

  function backButton() {
    return K.el("button", { type: "button", class: "plain", onclick: () => K.back() }, K.t({ zh: "返回", en: "Back" }));
  }

  K.screen({ id: "guide", order: 10, tile: { zh: "办事指南", en: "Service guide", icon: "📖" }, title: { zh: "办事指南", en: "Service guide" }, render: renderSearch });
  K.screen({ id: "guide-item", title: { zh: "办事指南", en: "Service guide" }, render: (root, params) => {
    if (!params.code) return K.back();
    if (answersFor !== params.code) { answers = {}; answersFor = params.code; }
    return renderItem(root, params);
  } });
})();
