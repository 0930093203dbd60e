// Material review in the call centre's in-call panel (docs/help-cobrowse.md):
// window.kfHelpMaterials.mount(el, callId) lists the scans of the citizen's current 自助申报
// (refreshed every few seconds), shows a page at full resolution on click, and accepts a
// material or asks for a rescan with a note the kiosk shows: 工作人员请您重新扫描：<note>.
"use strict";

(function () {
  const EN = typeof kf !== "undefined" && kf.LANG === "en";
  const W = (zh, en) => (EN ? en : zh);
  const STATES = { pending: W("待审核", "To review"), accepted: W("已通过", "Accepted"), rescan: W("已要求重扫", "Rescan asked") };
  const REFRESH_MS = 3000;

  function h(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return n;
  }

  function mount(root, callId) {
    const base = `/api/v1/help/calls/${encodeURIComponent(callId)}/materials`;
    const list = h("ul", { class: "hm-list", "aria-label": W("市民的材料", "The citizen's materials") });
    const problem = h("p", { class: "hm-problem", role: "alert" });
    const viewer = h("figure", { class: "hm-viewer", hidden: true });
    let shown = "";
    let timer = null;
    let stopped = false;
    root.replaceChildren(problem, list, viewer);

    async function openPage(m, n) {
      const r = await fetch(`${base}/${encodeURIComponent(m.material_id)}/pages/${n}`, { credentials: "same-origin" });
      if (!r.ok) { problem.textContent = W("这一页已不可用。", "This page is no longer available."); return; }
      const old = viewer.querySelector("img");
      if (old) URL.revokeObjectURL(old.src);
      const url = URL.createObjectURL(await r.blob());
      viewer.replaceChildren(
        h("img", { class: "hm-full", src: url, alt: W(`${m.name} 第 ${n} 页（原始分辨率）`, `${m.name}, page ${n} (full resolution)`) }),
        h("figcaption", {}, W(`${m.name} 第 ${n} 页`, `${m.name}, page ${n}`)));
      viewer.hidden = false;
    }

    async function decide(m, decision, note) {
      problem.textContent = "";
      const a = await kf.api(`${base}/${encodeURIComponent(m.material_id)}/decision`, { method: "POST", body: { decision, note } })
        .catch((e) => { problem.textContent = e.message; return null; });
      if (a) await refresh();
    }

    function row(m) {
      const note = h("input", { type: "text", id: `hm-note-${m.material_id}`, maxlength: 200, value: m.state === "rescan" ? m.note : "" });
      const pages = Array.from({ length: m.pages }, (_, i) =>
        h("button", { type: "button", class: "hm-page", "data-page": i + 1, onclick: () => openPage(m, i + 1) }, W(`第 ${i + 1} 页`, `Page ${i + 1}`)));
      return h("li", { class: "hm-material", "data-material": m.material_id, "data-state": m.state },
        h("strong", {}, m.name), " ", h("span", { class: "hm-state" }, STATES[m.state] || m.state), " ", ...pages,
        h("div", { class: "hm-decide" },
          h("button", { type: "button", class: "hm-accept", onclick: () => decide(m, "accept", "") }, W("通过", "Accept")),
          h("label", { for: `hm-note-${m.material_id}` }, W("重扫说明", "What to rescan")), note,
          h("button", { type: "button", class: "hm-rescan", onclick: () => decide(m, "rescan", note.value.trim()) }, W("要求重新扫描", "Ask for a rescan"))));
    }

    async function refresh() {
      clearTimeout(timer);
      if (stopped) return;
      let rows = null;
      try { rows = await kf.api(base); } catch (e) { problem.textContent = e.message; if ([403, 404, 409].includes(e.status)) return; }
      if (rows) {
        const key = JSON.stringify(rows);
        const typing = list.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
        if (key !== shown && !typing) {
          shown = key;
          list.replaceChildren(...(rows.length ? rows.map(row) : [h("li", {}, W("市民尚未扫描材料。", "The citizen has not scanned any material yet."))]));
        }
      }
      timer = setTimeout(refresh, REFRESH_MS);
    }
    refresh();
    return { stop: () => { stopped = true; clearTimeout(timer); } };
  }

  window.kfHelpMaterials = { mount };
})();
