// kfleet console: the e-form editor (电子表单管理). A form is data — its JSON Schema and its
// layout (sections of fields) — edited as JSON beside a live preview in which sample data can
// be checked with the same validation the kiosk and the phone use (POST /api/v1/forms/check).
// Saving makes the next version; citizens see a version once it is published; rolling back
// makes an older one current again. Reading needs hall.read, changing forms.edit.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "电子表单管理", forms: "表单", code: "编码", name: "名称", current: "当前版本",
      latest: "最新版本", published: "发布时间", new: "新建表单", preview: "预览", note: "版本说明",
      save: "保存为新版本", previewH: "预览（可输入示例数据检查）", try: "检查示例数据",
      versions: "版本", version: "版本", author: "保存人", saved: "保存时间", state: "状态",
      actions: "操作", definition: "定义（JSON：json_schema 数据结构 + sections 版式）",
      open: "查看", publish: "发布", rollback: "回滚到此版本", isCurrent: "当前", none: "未发布",
      editing: "编辑表单", savedAs: "已保存为第 {v} 版（尚未发布）", publishedV: "已发布第 {v} 版",
      rolledBack: "已回滚到第 {v} 版", badJson: "定义不是有效的 JSON：", sampleOk: "示例数据可以提交",
      definitionOk: "定义可用", loadedV: "已载入第 {v} 版",
    },
    en: {
      title: "E-forms", forms: "Forms", code: "Code", name: "Name", current: "Current version",
      latest: "Latest version", published: "Published", new: "New form", preview: "Preview",
      note: "Version note", save: "Save as a new version", previewH: "Preview (type sample data to check it)",
      try: "Check the sample data", versions: "Versions", version: "Version", author: "Saved by",
      saved: "Saved at", state: "State", actions: "Actions",
      definition: "Definition (JSON: json_schema for the data + sections for the layout)",
      open: "Open", publish: "Publish", rollback: "Roll back to this version", isCurrent: "current",
      none: "not published", editing: "Editing form", savedAs: "Saved as version {v} (not published yet)",
      publishedV: "Version {v} published", rolledBack: "Rolled back to version {v}",
      badJson: "The definition is not valid JSON: ", sampleOk: "The sample data may be submitted",
      definitionOk: "The definition is usable", loadedV: "Version {v} loaded",
    },
  }[kf.LANG];
  const t = (key, v) => (T[key] ?? key).replace("{v}", v);
  const $ = (id) => document.getElementById(id);
  const NEW_FORM = {
    code: "new-form", version: 1, title: "新表单", title_en: "New form", department: "",
    json_schema: { type: "object", additionalProperties: false, required: ["name"],
      properties: { name: { type: "string", minLength: 1, maxLength: 30 }, phone: { type: "string", pattern: "^1[3-9][0-9]{9}$" } } },
    sections: [{ title: "基本信息", title_en: "About you", fields: [
      { key: "name", label: "姓名", label_en: "Name", from_card: "name", span: 6 },
      { key: "phone", label: "手机号码", label_en: "Mobile phone", input: "phone", span: 6 }] }],
    signatures: ["申请人签字", "日期"],
  };
  let code = null;
  let sample = {};

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = "kfleet · " + t("title");

  function say(text, isError = false) {
    $("fe-status").textContent = text;
    $("fe-status").classList.toggle("error", isError);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  function parsed() {
    try { return JSON.parse($("fe-json").value); } catch (err) { $("fe-problems").textContent = t("badJson") + err.message; return null; }
  }

  function previewField(form, f) {
    const prop = (form.json_schema.properties || {})[f.key] || {};
    const id = "fe-s-" + f.key;
    const set = (v) => { if (v === "" || v === undefined) delete sample[f.key]; else sample[f.key] = v; };
    let input;
    if (f.input === "select") {
      input = el("select", { id, onchange: (e) => set(prop.type === "integer" ? Number(e.target.value) || e.target.value : e.target.value) },
        el("option", { value: "" }, "—"), (prop.enum || []).map((v) => el("option", { value: String(v) }, String(v))));
    } else if (f.input === "checkbox") {
      input = el("input", { id, type: "checkbox", onchange: (e) => set(e.target.checked) });
    } else {
      input = el("input", { id, type: f.input === "date" ? "date" : "text", oninput: (e) => set(prop.type === "integer" && /^-?\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value) });
    }
    const note = [f.input, f.from_card ? "ID: " + f.from_card : ""].filter(Boolean).join(" · ");
    const box = el("div", { class: "fe-field" }, el("label", { for: id }, f.label), input, el("small", {}, note));
    box.style.setProperty("--span", String(f.span || 12));
    return box;
  }

  async function preview() {
    const form = parsed();
    if (!form) return;
    sample = {};
    try {
      const out = await kf.api("/api/v1/forms/check", { method: "POST", body: { form, data: {} } });
      $("fe-problems").textContent = out.definition.length ? out.definition.join("\n") : t("definitionOk");
      $("fe-sample").replaceChildren(...(out.definition.length ? [] : form.sections.map((s) =>
        el("fieldset", {}, el("legend", {}, s.title), s.fields.map((f) => previewField(form, f))))));
    } catch (err) { $("fe-problems").textContent = err.message; }
  }

  async function trySample() {
    const form = parsed();
    if (!form) return;
    try {
      const out = await kf.api("/api/v1/forms/check", { method: "POST", body: { form, data: sample } });
      const lines = out.definition.length ? out.definition : out.problems.map((p) => `${p.field || "—"}: ${kf.LANG === "en" ? p.message_en : p.message}`);
      $("fe-sample-problems").replaceChildren(...(lines.length ? lines : [t("sampleOk")]).map((l) => el("li", {}, l)));
    } catch (err) { $("fe-sample-problems").replaceChildren(el("li", {}, err.message)); }
  }

  async function loadVersion(c, v) {
    const form = await kf.api(`/api/v1/forms/${encodeURIComponent(c)}/versions/${v}`);
    $("fe-json").value = JSON.stringify(form, null, 2);
    say(t("loadedV", v));
    await preview();
  }

  function act(label, run, attrs) {
    return el("button", { type: "button", ...attrs, onclick: async () => { try { await run(); } catch (err) { say(err.message, true); } } }, label);
  }

  async function showVersions(c) {
    const out = await kf.api(`/api/v1/forms/${encodeURIComponent(c)}/versions`);
    const now = (out.versions.find((v) => v.current) || { version: 0 }).version;
    $("fe-versions").replaceChildren(...out.versions.map((v) => el("tr", { "data-version": v.version, class: v.current ? "fe-current" : null },
      el("td", {}, v.version), el("td", {}, v.note), el("td", {}, v.author), el("td", {}, kf.dated(v.created_at)),
      el("td", {}, v.current ? t("isCurrent") : ""),
      el("td", {}, act(t("open"), () => loadVersion(c, v.version), { "data-open": v.version }),
        v.current ? null : v.version > now
          ? act(t("publish"), () => makeCurrent(c, v.version, "publish"), { "data-publish": v.version })
          : act(t("rollback"), () => makeCurrent(c, v.version, "rollback"), { "data-rollback": v.version })))));
  }

  async function makeCurrent(c, v, how) {
    await kf.api(`/api/v1/forms/${encodeURIComponent(c)}/${how}`, { method: "POST", body: { version: v } });
    say(t(how === "publish" ? "publishedV" : "rolledBack", v));
    await Promise.all([showVersions(c), showList()]);
  }

  async function open(c) {
    code = c;
    $("fe-editor").hidden = false;
    $("fe-editor-h").textContent = `${t("editing")} ${c}`;
    await showVersions(c);
    const latest = Number($("fe-versions").firstElementChild.dataset.version);
    await loadVersion(c, latest);
  }

  async function save() {
    const form = parsed();
    if (!form) return;
    const saved = await kf.api("/api/v1/forms", { method: "POST", body: { form, note: $("fe-note").value } });
    code = saved.code;
    $("fe-editor-h").textContent = `${t("editing")} ${code}`;
    say(t("savedAs", saved.version));
    await Promise.all([showVersions(code), showList()]);
  }

  async function showList() {
    const out = await kf.api("/api/v1/forms");
    $("fe-rows").replaceChildren(...out.forms.map((f) => el("tr", { "data-form": f.code },
      el("td", {}, act(f.code, () => open(f.code), { class: "fe-open", "data-code": f.code })),
      el("td", {}, kf.LANG === "en" ? f.title_en || f.title : f.title),
      el("td", {}, f.current || t("none")), el("td", {}, f.latest),
      el("td", {}, f.published_at ? kf.dated(f.published_at) : "—"))));
  }

  $("fe-new").addEventListener("click", () => {
    code = null;
    $("fe-editor").hidden = false;
    $("fe-editor-h").textContent = t("new");
    $("fe-versions").replaceChildren();
    $("fe-json").value = JSON.stringify(NEW_FORM, null, 2);
    preview();
  });
  $("fe-preview").addEventListener("click", preview);
  $("fe-try").addEventListener("click", trySample);
  $("fe-save").addEventListener("click", () => save().catch((err) => say(err.message, true)));

  kf.start().then(async () => {
    await showList();
    const wanted = new URLSearchParams(location.search).get("form");
    if (wanted) await open(wanted);
  }).catch((err) => say(err.message, true));
})();
