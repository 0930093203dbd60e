// The kiosk shell: screens registered by feature scripts (k_<name>.js), the home tiles, the
// language, the network banner (status polled every 10 s), the idle timeout that clears
// everything personal, and the one way to call the agent (Kiosk.api). The browser holds no
// credential and keeps nothing after a clear. Keyboard, elder mode and the card read are in
// kiosk.keyboard.js, kiosk.elder.js and kiosk.card.js.
"use strict";

(function () {
  const body = document.body;
  const screens = new Map();
  const clearHooks = [];
  const showHooks = [];
  const idleHolds = [];  // fn() → true while a screen must not idle out (a video call)
  const state = { lang: document.documentElement.lang === "en" ? "en" : "zh-CN", current: "home", params: {}, history: [], online: true, dirty: false };
  const POLL_MS = 10000;

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
  async function api(method, path, payload, opts) {
    const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (opts && opts.signal) init.signal = opts.signal;
    if (payload !== undefined) {
      init.body = JSON.stringify(payload);
      init.headers["Content-Type"] = "application/json";
    }
    try {
      const r = await fetch("/kiosk/api" + path, init);
      let data = null;
      try { data = await r.json(); } catch (e) { data = null; }
      if (r.status === 503 && data && data.code === "cloud_unreachable") setNet(false);
      return { ok: r.ok, status: r.status, data };
    } catch (e) {
      return { ok: false, status: 0, data: { code: "agent_unreachable", message: "终端服务暂时不可用，请稍后再试。", message_en: "The kiosk's service is not answering. Please try again shortly." } };
    }
  }

  /** The error sentence of a failed api() answer, in the current language: the cloud's
   *  citizen sentence when it wrote one, else the message. */
  function errorText(answer) {
    const d = (answer && answer.data) || {};
    const zh = d.citizen_message || d.message || "出错了，请稍后再试。";
    const en = d.citizen_message_en || d.message_en || d.citizen_message || d.message || "Something went wrong. Please try again.";
    return t({ zh, en });
  }

  const NET_OFF = { zh: "网络未连接：办事指南等已缓存的服务仍可使用，需要联网的服务暂不可用", en: "Offline: cached services such as the service guide still work; services that need the network are unavailable" };
  function setNet(online) {
    const changed = state.online !== online;
    state.online = online;
    body.dataset.online = online ? "1" : "0";
    const net = document.getElementById("k-net");
    net.classList.toggle("offline", !online);
    net.textContent = online ? "" : t(NET_OFF);
    if (changed && state.current === "home") renderHome();
  }

  async function pollStatus() {
    const r = await api("GET", "/status");
    if (r.status === 0) setNet(false);
    else if (r.ok && r.data) setNet(!!r.data.online);
  }

  /** Register a screen: {id, order, tile: {zh, en, icon}, network: bool, render(root, params)} */
  function screen(def) {
    screens.set(def.id, def);
    if (state.current === "home" && body.dataset.ready) renderHome();
  }

  function title(words) {
    document.getElementById("k-title").textContent = t(words);
    document.title = t(words);
  }

  function tile(s) {
    const off = s.network && !state.online;
    return el("li", {}, el("button", { type: "button", class: "tile", "data-screen": s.id, "aria-disabled": off ? "true" : null, onclick: () => go(s.id) },
      el("span", { class: "icon", "aria-hidden": "true" }, s.tile.icon || "▣"), t(s.tile),
      off ? el("span", { class: "tile-note" }, t({ zh: "需要联网，暂不可用", en: "Needs the network: unavailable" })) : null));
  }

  function renderHome() {
    const root = document.getElementById("k-screen");
    title({ zh: "请选择您要办理的事项", en: "What would you like to do?" });
    const tiles = [...screens.values()].filter((s) => s.tile).sort((a, b) => (a.order || 99) - (b.order || 99));
    root.replaceChildren(el("ul", { class: "tiles" }, tiles.map(tile)));
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
    if (id === "home") renderHome();
    else {
      const def = screens.get(id);
      title(def.title || def.tile || { zh: id, en: id });
      def.render(root, params);
      document.getElementById("main").focus();
    }
    for (const fn of showHooks) { try { fn(id); } catch (e) { /* one hook's bug must not stop the screen */ } }
  }

  function home() { state.history = []; state.dirty = false; show("home", {}); }
  function back() { const prev = state.history.pop(); if (prev) show(prev[0], prev[1]); else home(); }

  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((n) => { n.textContent = lang === "en" ? n.dataset.en : n.dataset.zh; });
    const b = document.getElementById("k-lang");
    b.textContent = lang === "en" ? "中文" : "English";
    b.lang = lang === "en" ? "zh-CN" : "en";
    setNet(state.online);
    show(state.current, state.params);
  }

  /** Forget everything personal: every screen's data, browser storage, the agent's session
   *  (its temporary files too), then back to the default language and the home screen. */
  async function clearAll() {
    for (const fn of clearHooks) { try { fn(); } catch (e) { /* the others still clear */ } }
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* storage may be off */ }
    state.dirty = false;
    await api("POST", "/session/clear");
    state.history = [];
    state.current = "home";
    setLang(document.documentElement.dataset.defaultLang || "zh-CN");
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
    if (idleHolds.some((fn) => { try { return fn(); } catch (e) { return false; } })) { warnTimer = setTimeout(idleWarn, warnMs); return; }
    const box = document.getElementById("k-idle");
    const text = document.getElementById("k-idle-text");
    let left = Math.round(clearMs / 1000);
    const words = () => ({ zh: `长时间无操作，${left} 秒后将清除您的信息并返回首页`, en: `No activity: your information will be cleared in ${left} s` });
    text.textContent = t(words());
    box.hidden = false;
    document.getElementById("k-idle-stay").focus();
    if (window.Kiosk.speak) window.Kiosk.speak(words());
    tick = setInterval(() => { left = Math.max(0, left - 1); text.textContent = t(words()); }, 1000);
    clearTimer = setTimeout(async () => { clearInterval(tick); box.hidden = true; await clearAll(); idleReset(); }, clearMs);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.documentElement.dataset.defaultLang = state.lang;
    document.getElementById("k-home").addEventListener("click", home);
    document.getElementById("k-exit").addEventListener("click", clearAll);
    document.getElementById("k-lang").addEventListener("click", () => setLang(state.lang === "en" ? "zh-CN" : "en"));
    document.getElementById("k-idle-stay").addEventListener("click", idleReset);
    for (const ev of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(ev, idleReset, { passive: true });
    body.dataset.ready = "1";
    setLang(state.lang);
    idleReset();
    pollStatus();
    setInterval(pollStatus, POLL_MS);
  });

  window.Kiosk = {
    screen, go, home, back, api, t, el, message, errorText, title,
    onClear: (fn) => clearHooks.push(fn),
    /** fn(screenId) after every screen change (the keyboard closes, elder mode speaks). */
    onShow: (fn) => showHooks.push(fn),
    /** fn() → true holds off the idle clear (a video-help call in progress). */
    holdIdle: (fn) => idleHolds.push(fn),
    clearAll,
    pollStatus,
    get lang() { return state.lang; },
    get current() { return state.current; },
    /** false while the agent says it cannot reach the cloud (the banner shows). */
    get online() { return state.online; },
    /** Screens with unsaved personal input set this so the idle timer warns even at home. */
    set dirty(v) { state.dirty = !!v; },
    get dirty() { return state.dirty; },
  };
})();
