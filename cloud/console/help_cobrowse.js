// Remote operation in the call centre's in-call panel (docs/help-cobrowse.md):
// window.kfHelpCobrowse.mount(el, callId) shows the kiosk's current screen — the cloud's
// allow-list copy, in an <iframe sandbox="allow-same-origin"> (no script of its own runs in
// it and it cannot navigate; same-origin only so this script can listen to it) — and, once
// the citizen has agreed on the kiosk, the operator works *on the copy*: press a button or a
// tile where it is, type into a field and press Enter (or leave it), pick an option; the
// kiosk applies each. The same elements are listed beside the copy as controls (keyboard and
// screen-reader users). The citizen can take control back at any time; then both are
// disabled and the API refuses actions (409).
"use strict";

(function () {
  const EN = typeof kf !== "undefined" && kf.LANG === "en";
  const W = (zh, en) => (EN ? en : zh);
  const WAIT_S = 20;
  const CONTROL_WORDS = {
    none: W("未请求远程操作", "Remote operation not requested"),
    asked: W("已请求，等待市民在终端上同意…", "Asked: waiting for the citizen to agree on the kiosk…"),
    granted: W("市民已同意：您可以代为填写和点选", "The citizen agreed: you may fill in and press"),
    declined: W("市民拒绝了远程操作", "The citizen declined remote operation"),
    revoked: W("市民已收回控制", "The citizen took control back"),
  };
  const FRAME_STYLE = "body{font:16px sans-serif;margin:8px;color:#111}button,input,select,textarea{font:inherit;margin:2px}" +
    "[data-ref]{outline:2px dashed #0b4f9c}img{max-width:200px}ul{padding-left:18px}.tiles{display:flex;flex-wrap:wrap;gap:6px;list-style:none}" +
    "body.cb-live [data-ref]{outline:3px solid #1e7d3a;cursor:pointer}body.cb-live input[data-ref],body.cb-live textarea[data-ref]{cursor:text}";
  const EDITABLE = new Set(["text", "select"]);

  function h(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") n.addEventListener(k.slice(2), v);
      else if (k === "text") n.textContent = v;
      else n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return n;
  }

  async function call(path, opts) {
    const r = await fetch(path, {
      method: (opts && opts.method) || "GET",
      credentials: "same-origin",
      signal: opts && opts.signal,
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": kf.cookie("kfleet_csrf") },
      body: opts && opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const data = await r.json().catch(() => null);
    return { ok: r.ok, status: r.status, data };
  }

  function mount(root, callId) {
    const base = `/api/v1/help/calls/${encodeURIComponent(callId)}`;
    const abort = new AbortController();
    let seq = 0;
    let control = "none";
    const state = h("p", { class: "cb-state", role: "status", "aria-live": "polite" });
    const problem = h("p", { class: "cb-problem", role: "alert" });
    const askBtn = h("button", { type: "button", class: "cb-ask", onclick: () => ask(control !== "granted" && control !== "asked") });
    const frame = h("iframe", { class: "cb-frame", sandbox: "allow-same-origin", title: W("市民终端当前屏幕（同意后可直接在副本上操作）", "The citizen's kiosk screen (operate on it once the citizen agrees)") });
    let typing = null; // {ref, value}: what the operator was typing in the copy when it was replaced
    frame.addEventListener("load", () => wireFrame(frame.contentDocument));
    const titleLine = h("p", { class: "cb-title" });
    const controls = h("ul", { class: "cb-fields", "aria-label": W("可操作的元素", "Operable elements") });
    root.replaceChildren(
      h("div", { class: "cb-head" }, state, askBtn), problem, titleLine,
      h("div", { class: "cb-body" }, frame, controls));

    function showControl(c) {
      control = c;
      state.textContent = CONTROL_WORDS[c] || c;
      root.dataset.control = c;
      askBtn.textContent = c === "granted" || c === "asked" ? W("交还控制", "Hand control back") : W("请求远程操作", "Ask to operate the screen");
      controls.querySelectorAll("button, input").forEach((n) => { n.disabled = c !== "granted" || n.dataset.off === "1"; });
      armFrame(frame.contentDocument);
    }

    // --- operating on the copy itself ------------------------------------------------
    function armFrame(doc) {
      if (!doc || !doc.body) return;
      const live = control === "granted";
      doc.body.classList.toggle("cb-live", live);
      doc.querySelectorAll("[data-ref]").forEach((n) => {
        if (!("cbOff" in n.dataset)) n.dataset.cbOff = n.hasAttribute("disabled") ? "1" : "0";
        const off = !live || n.dataset.cbOff === "1";
        if (n.dataset.kind === "text") n.readOnly = off; else n.disabled = off;
      });
    }

    function wireFrame(doc) {
      if (!doc || !doc.body) return;
      armFrame(doc);
      if (typing) { // a new screen came while the operator typed: keep their words and place
        const same = doc.querySelector(`[data-ref="${CSS.escape(typing.ref)}"]`);
        if (same && same.dataset.kind === "text") { same.value = typing.value; same.focus(); }
        typing = null;
      }
      doc.addEventListener("click", (ev) => {
        const n = ev.target instanceof doc.defaultView.Element ? ev.target.closest("[data-ref]") : null;
        if (!n) return;
        if (control !== "granted") { problem.textContent = W("市民同意后才能在屏幕上操作", "You can operate the screen once the citizen agrees"); return; }
        if (n.dataset.kind === "button") { ev.preventDefault(); act("click", n.dataset.ref); }
        else if (n.dataset.kind === "checkbox") act("fill", n.dataset.ref, n.checked ? "true" : "false");
      });
      doc.addEventListener("change", (ev) => {
        const n = ev.target;
        if (control === "granted" && n.dataset && n.dataset.ref && EDITABLE.has(n.dataset.kind)) act("fill", n.dataset.ref, n.value);
      });
      doc.addEventListener("keydown", (ev) => {
        const n = ev.target;
        if (ev.key === "Enter" && n.dataset && n.dataset.kind === "text" && n.tagName === "INPUT") { ev.preventDefault(); n.blur(); }
      });
    }

    function typingIn(doc) {
      const n = doc && doc.activeElement;
      return n && n.dataset && n.dataset.kind === "text" && n.dataset.ref ? { ref: n.dataset.ref, value: n.value } : null;
    }

    async function ask(request) {
      problem.textContent = "";
      const a = await call(`${base}/control`, { method: "POST", body: { request } });
      if (a.ok) showControl(a.data.control); else problem.textContent = (a.data && a.data.message) || String(a.status);
    }

    async function act(type, ref, value) {
      problem.textContent = "";
      const a = await call(`${base}/actions`, { method: "POST", body: value === undefined ? { type, ref } : { type, ref, value } });
      if (!a.ok) problem.textContent = (a.data && (a.data.citizen_message && !EN ? a.data.citizen_message : a.data.message)) || String(a.status);
    }

    function fieldRow(f) {
      const off = f.disabled ? "1" : "0";
      if (f.kind === "button") {
        return h("li", { "data-ref": f.ref }, h("button", { type: "button", class: "cb-click", "data-off": off, onclick: () => act("click", f.ref) }, W("点击：", "Press: ") + f.label));
      }
      const input = h("input", { type: "text", id: `cb-in-${f.ref}`, value: f.value || "", "data-off": off, autocomplete: "off" });
      return h("li", { "data-ref": f.ref },
        h("label", { for: `cb-in-${f.ref}` }, f.label), input,
        h("button", { type: "button", class: "cb-fill", "data-off": off, onclick: () => act("fill", f.ref, input.value) }, W("填入", "Fill")));
    }

    function showScreen(s) {
      seq = s.seq;
      titleLine.textContent = s.title ? W("终端画面：", "Kiosk screen: ") + s.title : "";
      typing = typingIn(frame.contentDocument);
      frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8"><style>${FRAME_STYLE}</style></head><body>${s.html}</body></html>`;
      const focused = document.activeElement && controls.contains(document.activeElement) ? document.activeElement.id : null;
      controls.replaceChildren(...s.fields.map(fieldRow));
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      showControl(s.control);
    }

    (async () => {
      while (!abort.signal.aborted) {
        let a;
        try { a = await call(`${base}/screen?after_seq=${seq}&wait_s=${WAIT_S}`, { signal: abort.signal }); } catch (e) { return; }
        if (abort.signal.aborted) return;
        if (a.ok) { showScreen(a.data); continue; }
        problem.textContent = (a.data && a.data.message) || String(a.status);
        if (a.status === 404 || a.status === 409 || a.status === 403) { showControl("none"); askBtn.disabled = true; return; }
        await new Promise((r) => setTimeout(r, 3000));
      }
    })();
    showControl("none");
    const handle = { stop: () => abort.abort() };
    mounted.set(root, handle);
    return handle;
  }

  // the call centre's panel unmounts at the call's end: the screen's long-poll stops at once
  const mounted = new WeakMap();
  function unmount(root) {
    const handle = mounted.get(root);
    if (handle) { handle.stop(); mounted.delete(root); }
  }

  window.kfHelpCobrowse = { mount, unmount };
})();
