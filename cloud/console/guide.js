// kfleet console: 办事指南 — the catalogue's items (search, edit with situations, materials,
// 二级材料, forms and review points, a live preview of what applies for chosen answers),
// import/export (JSON, Excel) and publishing to every site's kiosks, with the versions.
// The API: /api/v1/guide/* (docs/api.md). Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const F = window.kfGuideForm;
  const L = F.L;
  const T = {
    title: L("办事指南", "Service guide"), items: L("事项", "Items"), search: L("搜索", "Search"),
    department: L("部门", "Department"), find: L("查找", "Find"), new: L("新建事项", "New item"),
    code: L("编码", "Code"), name: L("名称", "Name"), state: L("状态", "State"),
    updated: L("更新", "Updated"), questions: L("办理情形", "Situations"),
    materials: L("申请材料", "Materials"), forms: L("表单", "Forms"),
    reviewPoints: L("审查要点", "Review points"), addQuestion: L("添加问题", "Add a question"),
    addMaterial: L("添加材料", "Add a material"), addForm: L("添加表单", "Add a form"),
    addReview: L("添加审查要点", "Add a review point"), draft: L("草稿（暂不发布）", "Draft (not published yet)"),
    save: L("保存", "Save"), delete: L("删除事项", "Delete item"), close: L("关闭", "Close"),
    preview: L("预览：所选情形下需要的材料", "Preview: what applies for chosen answers"),
    refresh: L("刷新预览", "Refresh preview"), publishing: L("导入导出与发布", "Import, export, publish"),
    exportJson: L("导出 JSON", "Export JSON"), exportXlsx: L("导出 Excel", "Export Excel"),
    file: L("文件（.json 或 .xlsx）", "File (.json or .xlsx)"), mode: L("方式", "Mode"),
    merge: L("合并", "Merge"), replace: L("替换全部", "Replace all"), import: L("导入", "Import"),
    note: L("发布说明", "Note"), publish: L("发布到所有终端", "Publish to every kiosk"),
    versions: L("版本", "Versions"), version: L("版本", "Version"), publishedAt: L("发布时间", "Published"),
    by: L("发布人", "By"), action: L("操作", "Action"), count: L("事项数", "Items"), all: L("全部", "All"),
    ready: L("可发布", "ready"), problems: L("个问题", " problem(s)"), sample: L("样例", "sample"),
    current: L("当前", "current"), saved: L("已保存", "Saved"), deleted: L("已删除", "Deleted"),
    published: L("已发布版本", "Published version"), imported: L("已导入", "Imported"),
    newItem: L("新事项", "New item"), editing: L("编辑事项", "Editing"),
    sure: L("确定删除这个事项？终端在下次发布前仍保留它。", "Delete this item? Kiosks keep it until the next publication."),
    choose: L("（未选择）", "(not chosen)"), unanswered: L("还有问题未回答，清单不完整", "Unanswered questions: the list is not final"),
    none: L("无", "none"), loading: L("加载中…", "loading…"),
    restore: L("恢复此版本", "Go back to this version"), restoredFrom: L("恢复自版本", "Restored from version"),
    sureRestore: L("用版本 {v} 替换当前工作副本并发布为新版本？", "Replace the working copy with version {v} and publish it as a new version?"),
  };
  const $ = (id) => document.getElementById(id);
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = T[node.dataset.i18n] ?? node.textContent;
  document.title = "kfleet · " + T.title;
  const BASIC = [
    ["code", L("编码", "Code"), "text"], ["name", L("名称", "Name"), "text"],
    ["name_en", L("英文名称", "English name"), "text"], ["department", T.department, "text"],
    ["object", L("办事对象", "For"), "text"], ["themes", L("主题编码（逗号分隔）", "Theme codes (comma)"), "csv"],
    ["time_limit_days", L("承诺时限（工作日，0 = 即办）", "Time limit (working days, 0 = on the spot)"), "number"],
    ["legal_limit_days", L("法定时限（工作日）", "Legal limit (working days)"), "number"],
    ["fees", L("收费标准", "Fees"), "text"], ["phone", L("咨询电话", "Phone"), "text"],
    ["place", L("办理地点", "Place"), "text"], ["service", L("排队业务编码", "Queue service code"), "text"],
    ["windows", L("窗口（每行：站点: 窗口号, 窗口号）", "Windows (a line each: site: 1, 2)"), "windows"],
    ["sites", L("办理站点（逗号分隔，空 = 全部）", "Sites (comma; empty = all)"), "csv"],
    ["conditions", L("受理条件（每行一条）", "Conditions (one a line)"), "lines"],
    ["legal_basis", L("设定依据（每行一条）", "Legal basis (one a line)"), "lines"],
    ["keywords", L("搜索关键词（逗号分隔）", "Search keywords (comma)"), "csv"],
  ];
  const LISTS = ["questions", "materials", "forms", "review_points"];
  let loaded = null; // the ItemOut being edited (null: a new item)
  let answers = {};

  function say(text, isError = false) {
    $("gd-status").textContent = text;
    $("gd-status").classList.toggle("error", isError);
  }
  function errText(err) {
    const rows = (err.body && err.body.errors) || [];
    return [err.message, ...rows.map((e) => `${(e.loc || []).join(" › ")}: ${e.msg}`)];
  }
  function fillUl(ul, texts) {
    ul.replaceChildren(...texts.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
  }
  function td(text) { const c = document.createElement("td"); c.textContent = text; return c; }

  async function loadList() {
    const p = new URLSearchParams({ q: $("gd-q").value.trim(), department: $("gd-dept-filter").value });
    const out = await kf.api("/api/v1/guide/items?" + p);
    $("gd-rows").replaceChildren(...out.items.map((it) => {
      const tr = document.createElement("tr");
      const a = document.createElement("a");
      a.href = "#" + it.code; a.textContent = it.name; a.dataset.code = it.code;
      a.addEventListener("click", (e) => { e.preventDefault(); openItem(it.code).catch((x) => say(x.message, true)); });
      const name = document.createElement("td"); name.append(a);
      const state = [it.draft ? T.draft : "", it.problems ? it.problems + T.problems : T.ready,
        it.sample ? T.sample : ""].filter(Boolean).join(" · ");
      tr.append(td(it.code), name, td(it.department), td(state), td(kf.dated(it.updated_at)));
      return tr;
    }));
    $("gd-total").textContent = `${out.items.length} / ${out.total}`;
  }

  function showEditor(item, title) {
    $("gd-editor").hidden = false;
    $("gd-editor-h").textContent = title;
    $("gd-basic").replaceChildren(...BASIC.map(([k, label, type]) => F.input(k, label, type, item[k])));
    $("gd-basic").querySelector('[data-key="code"]').readOnly = Boolean(loaded);
    for (const kind of LISTS) F.fillList($("gd-" + kind), kind, item[kind] || [], schedulePreview);
    $("gd-draft").checked = Boolean(loaded && loaded.draft);
    $("gd-delete").hidden = !loaded;
    fillUl($("gd-problems"), loaded ? loaded.problems : []);
    answers = {};
    preview().catch((x) => say(x.message, true));
  }

  async function openItem(code) {
    loaded = await kf.api("/api/v1/guide/items/" + encodeURIComponent(code));
    showEditor(loaded.item, `${T.editing} ${loaded.item.code}`);
    $("gd-editor-h").scrollIntoView();
  }

  function currentItem() {
    const item = F.read($("gd-basic"));
    for (const kind of LISTS) item[kind] = F.readList($("gd-" + kind));
    return item;
  }

  let timer = 0;
  function schedulePreview() { clearTimeout(timer); timer = setTimeout(() => preview().catch(() => null), 400); }

  async function preview() {
    const out = await kf.api("/api/v1/guide/preview", { method: "POST", body: { item: currentItem(), answers } });
    $("gd-preview-questions").replaceChildren(...out.questions.map((q) => {
      const id = "gd-pq-" + q.code;
      const wrap = document.createElement("div");
      const lab = document.createElement("label"); lab.htmlFor = id; lab.textContent = q.text;
      const sel = document.createElement("select"); sel.id = id; sel.dataset.question = q.code;
      sel.add(new Option(T.choose, ""));
      for (const o of q.options) sel.add(new Option(o.label, o.code, false, answers[q.code] === o.code));
      sel.addEventListener("change", () => {
        if (sel.value) answers[q.code] = sel.value; else delete answers[q.code];
        preview().catch((x) => say(x.message, true));
      });
      wrap.append(lab, " ", sel);
      return wrap;
    }));
    if (out.unanswered.length) $("gd-preview-questions").append(Object.assign(document.createElement("p"), { textContent: T.unanswered }));
    fillUl($("gd-preview-materials"), out.materials.map((m) => m.name + (m.sub.length ? "（" + m.sub.map((s) => s.name).join("；") + "）" : "")));
    fillUl($("gd-preview-forms"), out.forms.map((f) => f.name));
    fillUl($("gd-preview-review"), out.review_points.map((r) => r.text));
    fillUl($("gd-problems"), out.problems);
  }

  async function save(e) {
    e.preventDefault();
    const item = currentItem();
    const draft = $("gd-draft").checked;
    try {
      loaded = loaded
        ? await kf.api(`/api/v1/guide/items/${encodeURIComponent(loaded.item.code)}?draft=${draft}&revision=${loaded.revision}`, { method: "PUT", body: item })
        : await kf.api(`/api/v1/guide/items?draft=${draft}`, { method: "POST", body: item });
      say(`${T.saved} ${loaded.item.code}`);
      showEditor(loaded.item, `${T.editing} ${loaded.item.code}`);
      await loadList();
    } catch (err) {
      say(err.message, true);
      fillUl($("gd-problems"), errText(err).slice(1));
    }
  }

  async function remove() {
    if (!loaded || !confirm(T.sure)) return;
    await kf.api("/api/v1/guide/items/" + encodeURIComponent(loaded.item.code), { method: "DELETE" });
    say(`${T.deleted} ${loaded.item.code}`);
    loaded = null; $("gd-editor").hidden = true;
    await loadList();
  }

  async function importFile(e) {
    e.preventDefault();
    const file = $("gd-file").files[0];
    if (!file) return;
    const format = file.name.toLowerCase().endsWith(".xlsx") ? "xlsx" : "json";
    const body = new FormData(); body.append("file", file);
    try {
      const out = await kf.api(`/api/v1/guide/import?format=${format}&mode=${$("gd-mode").value}`, { method: "POST", body });
      say(`${T.imported}: +${out.created} ~${out.updated} -${out.deleted}`);
      fillUl($("gd-publish-errors"), Object.entries(out.problems).flatMap(([, ps]) => ps));
      await loadList();
    } catch (err) { say(err.message, true); fillUl($("gd-publish-errors"), errText(err).slice(1)); }
  }

  async function publish(e) {
    e.preventDefault();
    try {
      const v = await kf.api("/api/v1/guide/publish", { method: "POST", body: { note: $("gd-note").value.trim() } });
      say(`${T.published} ${v.version}`);
      fillUl($("gd-publish-errors"), []);
      await loadVersions();
    } catch (err) { say(err.message, true); fillUl($("gd-publish-errors"), errText(err).slice(1)); }
  }

  // Going back = that version's JSON imported over the working copy (replace), published anew.
  async function restore(version) {
    if (!confirm(T.sureRestore.replace("{v}", version))) return;
    try {
      const doc = await kf.api(`/api/v1/guide/versions/${version}`, { raw: true });
      if (!doc.ok) throw Object.assign(new Error(doc.status + " " + doc.statusText), { body: null });
      const body = new FormData();
      body.append("file", new Blob([await doc.arrayBuffer()], { type: "application/json" }), `catalogue-v${version}.json`);
      await kf.api("/api/v1/guide/import?format=json&mode=replace", { method: "POST", body });
      const v = await kf.api("/api/v1/guide/publish", { method: "POST", body: { note: `${T.restoredFrom} ${version}` } });
      say(`${T.published} ${v.version}`);
      await Promise.all([loadList(), loadVersions()]);
    } catch (err) { say(err.message, true); fillUl($("gd-publish-errors"), errText(err).slice(1)); }
  }

  async function loadVersions() {
    const out = await kf.api("/api/v1/guide/versions");
    $("gd-versions").replaceChildren(...out.versions.map((v) => {
      const tr = document.createElement("tr");
      const back = document.createElement("button");
      back.type = "button"; back.textContent = T.restore; back.dataset.version = v.version;
      back.setAttribute("aria-label", `${T.restore} ${v.version}`);
      back.hidden = v.current;
      back.addEventListener("click", () => restore(v.version));
      const action = document.createElement("td"); action.append(back);
      tr.append(td(v.version + (v.current ? ` (${T.current})` : "") + (v.sample ? ` · ${T.sample}` : "")),
        td(kf.dated(v.published_at)), td(v.published_by), td(String(v.items)), td(v.note), action);
      return tr;
    }));
  }

  async function start() {
    await kf.start();
    // a search sent before this script was ready arrives as ?q=: keep it
    $("gd-q").value = new URLSearchParams(location.search).get("q") || "";
    const [depts, themes] = await Promise.all([kf.api("/api/v1/guide/departments"), kf.api("/api/v1/guide/themes")]);
    F.CHOICES.department = depts.departments.map((d) => [d.code, d.name]);
    const filter = $("gd-dept-filter");
    filter.add(new Option(T.all, ""));
    for (const d of depts.departments) filter.add(new Option(d.name, d.code));
    BASIC[5][1] += "：" + themes.themes.map((t) => `${t.code}=${t.name}`).join("，");
    $("gd-search").addEventListener("submit", (e) => { e.preventDefault(); loadList().catch((x) => say(x.message, true)); });
    $("gd-new").addEventListener("click", () => { loaded = null; showEditor({ code: "", name: "", department: F.CHOICES.department[0]?.[0] || "" }, T.newItem); });
    $("gd-form").addEventListener("submit", save);
    $("gd-form").addEventListener("input", schedulePreview);
    $("gd-delete").addEventListener("click", () => remove().catch((x) => say(x.message, true)));
    $("gd-close").addEventListener("click", () => { $("gd-editor").hidden = true; loaded = null; });
    $("gd-preview-go").addEventListener("click", () => preview().catch((x) => say(x.message, true)));
    for (const b of document.querySelectorAll("[data-add]")) b.addEventListener("click", () => F.addTo($("gd-" + b.dataset.add), b.dataset.add, schedulePreview));
    $("gd-import").addEventListener("submit", importFile);
    $("gd-publish-form").addEventListener("submit", publish);
    await Promise.all([loadList(), loadVersions()]);
  }

  say(T.loading);
  start().then(() => say("")).catch((err) => say(err.message, true));
})();
