// Remote operation and material review during a video help call (docs/help-cobrowse.md).
// k_help.js dispatches `kf-help-call` {detail: {callId, state}} on every state change of the
// call; while a call is active this script sends a sanitised copy of the screen to the
// operator (no scripts, no handlers, values as attributes, ID/phone/bank numbers masked, scans
// inlined small), asks the citizen's consent when the operator asks for control (同意/拒绝),
// shows a banner the whole time control is given with 收回控制 (take back control, at once),
// applies the operator's actions only while granted (real input/change/click events so the
// screen's own code reacts), and passes the operator's material decisions to 自助申报.
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  const WAIT_S = 20;
  const OWN = "data-cobrowse-own"; // our banner and dialog are never sent nor operated
  const OPERABLE = "input, select, textarea, button, [role=button]";
  let call = null; // {id, control, after, abort, refs, thumbs, decisionsAfter}

  const api = (method, tail, payload, opts) => K.api(method, `/help/cobrowse/${call.id}/${tail}`, payload, opts);

  // --- masking: what the screen itself would show a bystander ---
  function mask(text) {
    return String(text)
      .replace(/(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9])/g, "$1**********$2")
      .replace(/(?<![0-9])([0-9]{4})[0-9]{8,11}([0-9]{4})(?![0-9])/g, "$1 **** $2")
      .replace(/(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])/g, "$1****$2");
  }
  const plain = (text, max) => mask(String(text || "").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, " ").trim()).slice(0, max);

  // --- stable refs: an element keeps its ref while it is on screen ---
  function refOf(node) {
    let ref = call.refs.get(node);
    if (ref) return ref;
    const id = (node.id || "").toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+/, "").slice(0, 30);
    call.refSeq += 1;
    ref = (id ? id + "-" : "e") + call.refSeq;
    call.refs.set(node, ref);
    return ref;
  }

  function kindOf(node) {
    if (node.tagName === "SELECT") return "select";
    if (node.tagName === "INPUT" && (node.type === "checkbox" || node.type === "radio")) return "checkbox";
    if (node.tagName === "INPUT" || node.tagName === "TEXTAREA") return ["button", "submit"].includes(node.type) ? "button" : "text";
    return "button";
  }

  function labelOf(node) {
    const byFor = node.id ? document.querySelector(`label[for="${CSS.escape(node.id)}"]`) : null;
    return plain(node.getAttribute("aria-label") || (byFor && byFor.textContent) || node.textContent || node.placeholder || node.name || "", 100);
  }

  function visible(node) { return !!(node.offsetWidth || node.offsetHeight || node.getClientRects().length); }

  /** A small JPEG of a scan on screen (the operator sees full resolution in the materials). */
  function thumb(img) {
    const src = img.getAttribute("src") || "";
    if (call.thumbs.has(src)) return call.thumbs.get(src);
    if (!img.complete || !img.naturalWidth) return "";
    const scale = Math.min(1, 120 / img.naturalWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    try {
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      const data = canvas.toDataURL("image/jpeg", 0.5);
      call.thumbs.set(src, data);
      return data;
    } catch (e) { return ""; }
  }

  const MAX_HTML = 50000; // the cloud's limit: a longer screen is sent without its thumbnails

  /** The screen as the operator may see it: a clean copy plus the operable elements. */
  function snapshot() {
    const full = copyOf(true);
    return full.html.length <= MAX_HTML ? full : copyOf(false);
  }

  function copyOf(withThumbs) {
    const main = document.getElementById("main");
    const fields = [];
    const copy = main.cloneNode(true);
    const originals = main.querySelectorAll("*");
    const clones = copy.querySelectorAll("*"); // cloneNode keeps document order: pairs
    originals.forEach((o, i) => {
      const c = clones[i];
      for (const a of [...c.attributes]) if (a.name.startsWith("on") || a.name === "style") c.removeAttribute(a.name);
      if (o.matches(OPERABLE) && !o.closest(`[${OWN}], .simple-keyboard`) && visible(o)) {
        const kind = kindOf(o);
        const value = kind === "checkbox" ? (o.checked ? "✓" : "") : kind === "button" ? "" : o.value || "";
        c.setAttribute("data-ref", refOf(o));
        c.setAttribute("data-kind", kind);
        if (fields.length < 100) fields.push({ ref: refOf(o), kind, label: labelOf(o) || refOf(o), value: plain(value, 200), disabled: !!o.disabled });
      }
      if (o.matches("input, textarea")) {
        if (o.type === "checkbox" || o.type === "radio") c.toggleAttribute("checked", o.checked);
        else c.setAttribute("value", o.type === "password" ? "••••" : mask(o.value || ""));
        if (o.tagName === "TEXTAREA") c.textContent = mask(o.value || "");
      }
      if (o.tagName === "SELECT") for (const opt of c.querySelectorAll("option")) opt.toggleAttribute("selected", opt.value === o.value);
      if (o.tagName === "IMG") { const data = withThumbs && thumb(o); if (data) c.setAttribute("src", data); else c.removeAttribute("src"); }
    });
    copy.querySelectorAll(`script, style, template, [${OWN}], .simple-keyboard`).forEach((n) => n.remove());
    const html = mask(copy.innerHTML).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, " ");
    return { title: plain(document.getElementById("k-title").textContent, 200), html: html.length <= MAX_HTML || withThumbs ? html : html.slice(0, MAX_HTML), fields };
  }

  // --- sending the screen when it changes ---
  let timer = null;
  function screenChanged() {
    if (!call) return;
    clearTimeout(timer);
    timer = setTimeout(sendScreen, 250);
  }
  async function sendScreen() {
    if (!call) return;
    const mine = call;
    await api("PUT", "screen", snapshot());
    if (mine === call && K.current === "apply") syncMaterials();
  }

  // --- the banner and the consent dialog ---
  function banner() {
    let box = document.getElementById("k-cobrowse");
    if (!box) {
      box = el("div", { id: "k-cobrowse", class: "cobrowse-banner", role: "status", [OWN]: "" },
        el("span", { class: "cobrowse-text" }, "工作人员正在协助您操作 / A staff member is helping you"),
        el("button", { type: "button", id: "k-cobrowse-revoke", class: "big", onclick: () => answer("revoked") }, "收回控制 / Take back control"));
      document.body.append(box);
    }
    return box;
  }

  function consent() {
    if (document.getElementById("k-cobrowse-ask")) return;
    const dialog = el("div", { id: "k-cobrowse-ask", class: "cobrowse-ask", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "k-cobrowse-ask-text", [OWN]: "" },
      el("p", { id: "k-cobrowse-ask-text" }, K.t({ zh: "工作人员请求远程操作您的屏幕，帮您填写和点选。您可以随时收回控制。是否同意？", en: "The staff member asks to operate your screen to help you fill it in. You can take control back at any time. Do you agree?" })),
      el("div", { class: "cobrowse-actions" },
        el("button", { type: "button", id: "k-cobrowse-decline", class: "big plain", onclick: () => answer("declined") }, K.t({ zh: "拒绝", en: "Decline" })),
        el("button", { type: "button", id: "k-cobrowse-grant", class: "big", onclick: () => answer("granted") }, K.t({ zh: "同意", en: "Agree" }))));
    document.body.append(dialog);
    dialog.querySelector("#k-cobrowse-grant").focus();
    if (K.speak) K.speak({ zh: "工作人员请求远程操作您的屏幕", en: "The staff member asks to operate your screen" });
  }

  function setControl(state) {
    if (!call) return;
    call.control = state;
    document.body.dataset.cobrowse = state;
    if (state !== "asked") { const d = document.getElementById("k-cobrowse-ask"); if (d) d.remove(); }
    if (state === "granted") banner();
    else { const b = document.getElementById("k-cobrowse"); if (b) b.remove(); }
  }

  async function answer(state) {
    if (!call) return;
    if (state === "revoked" || state === "declined") setControl(state); // at once, before the cloud knows
    const a = await api("POST", "control", { state });
    if (a.ok && a.data) setControl(a.data.control);
  }

  // --- the operator's actions ---
  function find(ref) {
    for (const [node, r] of call.refs) if (r === ref && node.isConnected) return node;
    return null;
  }

  function apply(e) {
    if (!call || call.control !== "granted") return; // taken back: never applied
    const node = find(e.ref);
    if (!node || node.disabled) return;
    if (e.type === "click") { node.click(); return; }
    if (node.matches("input[type=checkbox], input[type=radio]")) { if (node.checked !== (e.value === "true" || e.value === "✓")) node.click(); return; }
    node.focus();
    node.value = e.value || "";
    node.dispatchEvent(new Event("input", { bubbles: true }));
    node.dispatchEvent(new Event("change", { bubbles: true }));
  }

  async function pollActions(mine) {
    while (call === mine) {
      const a = await api("GET", `actions?after=${mine.after}&wait_s=${WAIT_S}`, undefined, { signal: mine.abort.signal });
      if (call !== mine) return;
      if (!a.ok) {
        if (a.status === 404 || a.status === 409) return stop();
        await new Promise((r) => setTimeout(r, 3000));
        continue;
      }
      for (const e of a.data.events) {
        mine.after = Math.max(mine.after, e.id);
        if (e.type === "control") {
          if (e.state === "asked") { setControl("asked"); consent(); } else setControl(e.state);
        } else apply(e);
      }
    }
  }

  // --- materials ---
  let syncing = false;
  async function syncMaterials() {
    if (!call || syncing) return;
    syncing = true;
    try { await api("POST", "materials"); } finally { syncing = false; }
  }

  async function pollDecisions(mine) {
    while (call === mine) {
      const a = await api("GET", `materials/decisions?after=${mine.decisionsAfter}&wait_s=${WAIT_S}`, undefined, { signal: mine.abort.signal });
      if (call !== mine) return;
      if (!a.ok) { if (a.status === 404 || a.status === 409) return; await new Promise((r) => setTimeout(r, 3000)); continue; }
      const fresh = a.data.version > mine.decisionsAfter;
      mine.decisionsAfter = a.data.version;
      // a rescan asked while the citizen is on the materials step shows at once
      if (fresh && K.current === "apply" && a.data.decisions.some((d) => d.state === "rescan")) K.go("apply", { step: "materials" });
    }
  }

  // --- the call ---
  const observer = new MutationObserver(screenChanged);

  function start(callId) {
    if (call && call.id === callId) return;
    stop();
    call = { id: callId, control: "none", after: 0, decisionsAfter: 0, abort: new AbortController(), refs: new Map(), refSeq: 0, thumbs: new Map() };
    observer.observe(document.getElementById("main"), { subtree: true, childList: true, attributes: true, characterData: true });
    document.addEventListener("input", screenChanged, true);
    document.addEventListener("load", screenChanged, true); // a scan's image arrived
    sendScreen();
    pollActions(call);
    pollDecisions(call);
  }

  function stop() {
    if (!call) return;
    setControl("none");
    delete document.body.dataset.cobrowse;
    call.abort.abort();
    observer.disconnect();
    document.removeEventListener("input", screenChanged, true);
    document.removeEventListener("load", screenChanged, true);
    call = null;
  }

  document.addEventListener("kf-help-call", (ev) => {
    const d = ev.detail || {};
    if (d.state === "active" && d.callId) start(d.callId);
    else stop();
  });
  K.onClear(stop);
  window.KioskCobrowse = { get control() { return call ? call.control : "none"; }, snapshot: () => (call ? snapshot() : null) };
})();
