// The kiosk shell: screens registered by feature scripts (k_<name>.js), the home tiles, the
// language, the idle timeout that clears everything personal, and the one way to call the
// agent (Kiosk.api). The browser holds no credential and keeps nothing after a clear.
"use strict";

(function () {
  const body = document.body;
  const screens = new Map();
  const clearHooks = [];
  const state = { lang: document.documentElement.lang === "en" ? "en" : "zh-CN", current: "home", params: {}, history: [] };

  /** Text in the current language: t({zh: "…", en: "…"}) or t("…") as is. */
  function t(words) {
    if (typeof words === "string") return words;
    return (state.lang === "en" ? words.en : words.zh) || words.zh || words.en || "";
  }

  /** el("button", {class: "big", onclick: fn}, "text", child…) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /** A message box (kind: error | warn | ok | info); errors are announced (role=alert). */
  function message(kind, words) {
    return el("div", { class: "msg " + kind, role: kind === "error" ? "alert" : "status" }, t(words));
  }

  /** Call the agent: api("GET", "/guide/search?q=gjj") → {ok, status, data}. Never throws. */
  async function api(method, path, payload) {
    const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (payload !== undefined) {
      init.body = JSON.stringify(payload);
      init.headers["Content-Type"] = "application/json";
    }
    try {
      const r = await fetch("/kiosk/api" + path, init);
      let data = null;
      try { data = await r.json(); } catch (e) { data = null; }
      if (r.status === 503 && data && data.code === "cloud_unreachable") setNet(false);
      else if (r.ok) setNet(true);
      return { ok: r.ok, status: r.status, data };
    } catch (e) {
      setNet(false);
      return { ok: false, status: 0, data: { code: "agent_unreachable", message: "终端服务暂时不可用，请稍后再试。", message_en: "The kiosk's service is not answering. Please try again shortly." } };
    }
  }

  /** The error sentence of a failed api() answer, in the current language. */
  function errorText(answer) {
    const d = answer.data || {};
    return t({ zh: d.message || "出错了，请稍后再试。", en: d.message_en || d.message || "Something went wrong. Please try again." });
  }

  function setNet(online) {
    const net = document.getElementById("k-net");
    net.classList.toggle("offline", !online);
    net.textContent = online ? "" : t({ zh: "网络未连接：仅可使用已缓存的服务", en: "Offline: only cached services work" });
  }

  /** Register a screen: {id, order, tile: {zh, en, icon}, network: bool, render(root, params)} */
  function screen(def) {
    screens.set(def.id, def);
    if (state.current === "home") renderHome();
  }

  function title(words) {
    document.getElementById("k-title").textContent = t(words);
    document.title = t(words);
  }

  function renderHome() {
    const root = document.getElementById("k-screen");
    title({ zh: "请选择您要办理的事项", en: "What would you like to do?" });
    const tiles = [...screens.values()].filter((s) => s.tile).sort((a, b) => (a.order || 99) - (b.order || 99));
    root.replaceChildren(el("ul", { class: "tiles" }, tiles.map((s) =>
      el("li", {}, el("button", { type: "button", class: "tile", "data-screen": s.id, onclick: () => go(s.id) },
        el("span", { class: "icon", "aria-hidden": "true" }, s.tile.icon || "▣"), t(s.tile))))));
  }

  /** Show screen ``id`` with ``params`` (the previous one is kept for Kiosk.back()). */
  function go(id, params) {
    if (id === "home") return home();
    const def = screens.get(id);
    if (!def) return;
    state.history.push([state.current, state.params]);
    show(id, params || {});
  }

  function show(id, params) {
    state.current = id;
    state.params = params;
    const root = document.getElementById("k-screen");
    root.replaceChildren();
    body.dataset.screen = id;
    if (id === "home") { renderHome(); return; }
    const def = screens.get(id);
    title(def.title || def.tile || { zh: id, en: id });
    def.render(root, params);
    document.getElementById("main").focus();
  }

  function home() { state.history = []; show("home", {}); }
  function back() { const prev = state.history.pop(); if (prev) show(prev[0], prev[1]); else home(); }

  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((n) => { n.textContent = lang === "en" ? n.dataset.en : n.dataset.zh; });
    const b = document.getElementById("k-lang");
    b.textContent = lang === "en" ? "中文" : "English";
    b.lang = lang === "en" ? "zh-CN" : "en";
    show(state.current, state.params);
  }

  /** Forget everything personal: the agent's session, browser storage, every screen's data. */
  async function clearAll() {
    for (const fn of clearHooks) { try { fn(); } catch (e) { /* the others still clear */ } }
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* storage may be off */ }
    await api("POST", "/session/clear");
    body.classList.remove("elder");
    setLang(document.documentElement.dataset.defaultLang || "zh-CN");
    home();
  }

  // Idle: no touch for idle-warn seconds → a countdown; idle-clear more → clearAll().
  const warnMs = 1000 * parseFloat(body.dataset.idleWarn || "60");
  const clearMs = 1000 * parseFloat(body.dataset.idleClear || "20");
  let warnTimer = null, clearTimer = null, tick = null;
  function idleReset() {
    clearTimeout(warnTimer); clearTimeout(clearTimer); clearInterval(tick);
    document.getElementById("k-idle").hidden = true;
    warnTimer = setTimeout(idleWarn, warnMs);
  }
  function idleWarn() {
    if (state.current === "home" && !state.dirty) { warnTimer = setTimeout(idleWarn, warnMs); return; }
    const box = document.getElementById("k-idle");
    const text = document.getElementById("k-idle-text");
    let left = Math.round(clearMs / 1000);
    const say = () => { text.textContent = t({ zh: `长时间无操作，${left} 秒后将清除您的信息并返回首页`, en: `No activity: your information will be cleared in ${left} s` }); };
    say();
    box.hidden = false;
    document.getElementById("k-idle-stay").focus();
    tick = setInterval(() => { left = Math.max(0, left - 1); say(); }, 1000);
    clearTimer = setTimeout(async () => { clearInterval(tick); box.hidden = true; await clearAll(); idleReset(); }, clearMs);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.documentElement.dataset.defaultLang = state.lang;
    document.getElementById("k-home").addEventListener("click", home);
    document.getElementById("k-exit").addEventListener("click", clearAll);
    document.getElementById("k-lang").addEventListener("click", () => setLang(state.lang === "en" ? "zh-CN" : "en"));
    document.getElementById("k-idle-stay").addEventListener("click", idleReset);
    for (const ev of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(ev, idleReset, { passive: true });
    setLang(state.lang);
    idleReset();
    body.dataset.ready = "1";
  });

  window.Kiosk = {
    screen, go, home, back, api, t, el, message, errorText, title,
    onClear: (fn) => clearHooks.push(fn),
    clearAll,
    get lang() { return state.lang; },
    /** Screens with unsaved personal input set this so the idle timer warns even at home. */
    set dirty(v) { state.dirty = !!v; },
  };
})();
