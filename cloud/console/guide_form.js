// kfleet console: the service-guide item editor's form — an Item (protocols/guide.py) to
// inputs and back. Lists of materials, questions, forms and review points are repeated
// blocks; small lists are typed as text: a 二级材料 or an option per line ("name | note",
// "code | 标签 | English"), a situation as "question=option, question=option | ..." (each
// "|" an alternative, each "," a condition that must also hold). Labels zh-CN / English.
"use strict";

window.kfGuideForm = (() => {
  const EN = kf.LANG === "en";
  const L = (zh, en) => (EN ? en : zh);
  let seq = 0;
  const FORMS = ["original", "copy", "original_and_copy", "electronic"];
  const FORM_NAMES = {
    original: L("原件", "Original"), copy: L("复印件", "Copy"),
    original_and_copy: L("原件和复印件", "Original and copy"), electronic: L("电子", "Electronic"),
  };
  const WHEN = ["when", L("适用情形（问题=选项，多个用逗号；“|”分隔备选）",
    "Applies when (question=option, comma: all of; “|”: or)"), "when"];
  const BLOCKS = {
    materials: {
      title: L("材料", "Material"),
      fields: [
        ["code", L("编码", "Code"), "text"], ["name", L("名称", "Name"), "text"],
        ["name_en", L("英文名称", "English name"), "text"],
        ["form", L("形式", "Form"), "form"], ["copies", L("份数", "Copies"), "number"],
        ["required", L("必须提供", "Required"), "check"], ["note", L("说明", "Note"), "text"],
        ["sub", L("二级材料（每行：名称 | 说明）", "Sub-materials (a line each: name | note)"), "subs"],
        WHEN,
      ],
      empty: { code: "", name: "", form: "original", copies: 1, required: true, sub: [], when: [] },
    },
    questions: {
      title: L("情形问题", "Question"),
      fields: [
        ["code", L("编码", "Code"), "text"], ["text", L("问题", "Question"), "text"],
        ["text_en", L("英文问题", "English question"), "text"],
        ["options", L("选项（每行：编码 | 标签 | English）", "Options (a line each: code | label | English)"), "options"],
        WHEN,
      ],
      empty: { code: "", text: "", options: [], when: [] },
    },
    forms: {
      title: L("表单", "Form"),
      fields: [["code", L("编码", "Code"), "text"], ["name", L("名称", "Name"), "text"],
        ["template", L("模板", "Template"), "text"], WHEN],
      empty: { code: "", name: "", when: [] },
    },
    review_points: {
      title: L("审查要点", "Review point"),
      fields: [["text", L("要点", "Point"), "text"], WHEN],
      empty: { text: "", when: [] },
    },
  };

  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
  const parts = (line) => line.split("|").map((s) => s.trim());
  const CODEC = {
    text: [(v) => v ?? "", (s) => s.trim()],
    number: [(v) => String(v ?? 0), (s) => Number.parseInt(s, 10) || 0],
    form: [(v) => v || "original", (s) => s],
    subs: [(v) => (v || []).map((x) => (x.note ? `${x.name} | ${x.note}` : x.name)).join("\n"),
      (s) => lines(s).map((l) => { const [name, note = ""] = parts(l); return { name, note }; })],
    options: [(v) => (v || []).map((o) => [o.code, o.label, o.label_en].filter(Boolean).join(" | ")).join("\n"),
      (s) => lines(s).map((l) => { const [code, label = "", label_en = ""] = parts(l); return { code, label, label_en }; })],
    when: [(v) => (v || []).map((alt) => Object.entries(alt).map(([q, o]) => `${q}=${o}`).join(", ")).join(" | "),
      (s) => s.split("|").map((alt) => Object.fromEntries(alt.split(",").map((c) => c.split("=").map((x) => x.trim()))
        .filter((c) => c.length === 2 && c[0] && c[1]))).filter((alt) => Object.keys(alt).length)],
    lines: [(v) => (v || []).join("\n"), lines],
    csv: [(v) => (v || []).join(", "), (s) => s.split(/[,，]/).map((x) => x.trim()).filter(Boolean)],
    windows: [(v) => Object.entries(v || {}).map(([site, nos]) => `${site}: ${nos.join(", ")}`).join("\n"),
      (s) => Object.fromEntries(lines(s).map((l) => { const i = l.lastIndexOf(":");
        return [l.slice(0, i).trim(), l.slice(i + 1).split(/[,，]/).map((x) => x.trim()).filter(Boolean)]; })
        .filter(([site]) => site))],
  };
  const MULTILINE = new Set(["subs", "options", "lines", "windows"]);
  // select choices by field key ([[code, name], ...]), filled by the page (departments)
  const CHOICES = {
    object: [["person", L("个人", "Individuals")], ["legal_person", L("法人", "Organisations")],
      ["both", L("个人和法人", "Both")]],
  };

  function input(key, label, type, value) {
    const id = "gd-f" + (++seq);
    const wrap = document.createElement("div");
    wrap.className = "gd-field gd-" + type;
    const lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = label;
    let el;
    if (CHOICES[key]) {
      el = document.createElement("select");
      for (const [code, name] of CHOICES[key]) el.add(new Option(name, code, false, code === value));
    } else if (type === "check") {
      el = document.createElement("input"); el.type = "checkbox"; el.checked = value !== false;
    } else if (type === "form") {
      el = document.createElement("select");
      for (const f of FORMS) el.add(new Option(FORM_NAMES[f], f, false, f === value));
    } else {
      el = document.createElement(MULTILINE.has(type) ? "textarea" : "input");
      if (type === "number") { el.type = "number"; el.min = "0"; el.max = "365"; }
      el.value = (CODEC[type] || CODEC.text)[0](value);
    }
    el.id = id; el.dataset.key = key; el.dataset.type = type;
    wrap.append(lab, el);
    return wrap;
  }

  function read(container) {
    const out = {};
    for (const el of container.querySelectorAll(":scope > .gd-field > [data-key]")) {
      const type = el.dataset.type;
      out[el.dataset.key] = type === "check" ? el.checked : (CODEC[type] || CODEC.text)[1](el.value);
    }
    return out;
  }

  function block(kind, value, onChange) {
    const spec = BLOCKS[kind];
    const box = document.createElement("fieldset");
    box.className = "gd-block";
    box.dataset.kind = kind;
    const legend = document.createElement("legend");
    box.append(legend);
    for (const [key, label, type] of spec.fields) box.append(input(key, label, type, value[key]));
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "gd-remove";
    remove.textContent = L("删除此项", "Remove");
    remove.addEventListener("click", () => { const list = box.parentElement; box.remove(); renumber(list); onChange(); });
    box.append(remove);
    return box;
  }

  function renumber(list) {
    let n = 0;
    for (const box of list.children) box.querySelector("legend").textContent = `${BLOCKS[box.dataset.kind].title} ${++n}`;
  }

  function fillList(list, kind, values, onChange) {
    list.replaceChildren(...values.map((v) => block(kind, v, onChange)));
    renumber(list);
  }

  function addTo(list, kind, onChange) {
    list.append(block(kind, { ...BLOCKS[kind].empty }, onChange));
    renumber(list);
    list.lastElementChild.querySelector("input, textarea")?.focus();
  }

  function readList(list) {
    return [...list.children].map((box) => {
      const v = read(box);
      for (const key of ["name_en", "text_en", "note", "template"]) if (v[key] === "") delete v[key];
      return v;
    });
  }

  return { BLOCKS, CHOICES, CODEC, input, read, fillList, addTo, readList, L };
})();
