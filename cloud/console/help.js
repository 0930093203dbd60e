// kfleet console: the call centre (视频帮办). Who is on duty and my duty toggle (PUT /duty), the
// queue of calls (GET /calls, then the server-sent `call` events of GET /api/v1/help/events so
// it rings without polling): a visible pulse always, a sound once the browser allows it (after
// the first click on the page), Answer (POST /calls/{id}/accept; 409 when someone was faster)
// → the in-call panel (help_call.js). Labels zh-CN, English with ?lang=en.
"use strict";

(() => {
  const { t } = kfHelpWords;
  const $ = (id) => document.getElementById(id);
  const API = "/api/v1/help";
  const LIVE = ["waiting", "ringing"];
  const DUTY_REFRESH_MS = 30000;
  const calls = new Map();  // call_id → CallOut, the queue and my active call
  let me = null;
  let onDuty = false;
  let audio = null;  // an AudioContext, made at the first click (browsers refuse sound before)
  let ringTimer = null;

  document.title = "kfleet · " + t("title");
  $("help-history-link").href = kf.link("/help/history");

  function say(text, isError = false) {
    $("help-status").textContent = text;
    $("help-status").classList.toggle("error", isError);
  }

  // --- duty ------------------------------------------------------------------------------------

  // GET /duty answers {me, on_duty: [DutyOut]}; a DutyOut names its person by `operator`
  // (the principal's actor, `user:<name>`) and `name` (the display name)
  function dutyList(data) {
    if (Array.isArray(data)) return data;
    return (data && (data.on_duty || data.items || data.operators)) || [];
  }

  function dutyNames(list) {
    return list.map((o) => o.name || o.display_name || o.operator_name || o.username || o.operator || "?");
  }

  function isMe(o) {
    if (!o || !me) return false;
    const mine = [me.username, "user:" + me.username];
    return [o.username, o.operator, o.user].some((v) => mine.includes(v));
  }

  let dutyReads = 0;  // only the latest read of the duty list is shown (an older one may land late)

  async function loadDuty() {
    const mine = ++dutyReads;
    const data = await kf.api(API + "/duty");
    if (mine !== dutyReads) return;
    const list = dutyList(data);
    onDuty = data && data.me && typeof data.me.on_duty === "boolean" ? data.me.on_duty : list.some(isMe);
    const names = dutyNames(list);
    $("help-duty-list").textContent = names.length ? names.join("、") : t("nobody");
    drawDuty();
  }

  function drawDuty() {
    const b = $("help-duty-toggle");
    b.textContent = t(onDuty ? "goOffDuty" : "goOnDuty");
    b.setAttribute("aria-pressed", String(onDuty));
    $("help-duty-me").textContent = t(onDuty ? "meOn" : "meOff") + (onDuty && !audio ? " · " + t("soundHint") : "");
  }

  async function toggleDuty() {
    try {
      const answer = await kf.api(API + "/duty", { method: "PUT", body: { on_duty: !onDuty } });
      await loadDuty();
      if (answer && typeof answer.on_duty === "boolean") { onDuty = answer.on_duty; drawDuty(); }
      drawQueue();
    } catch (err) { say(err.message, true); }
  }

  // --- ringing ---------------------------------------------------------------------------------

  function beep() {
    if (!audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.6);
  }

  function ring(on) {
    $("help-ring").hidden = !on;
    document.body.classList.toggle("help-ringing", on);
    if (on && !ringTimer) { beep(); ringTimer = setInterval(beep, 2000); }
    if (!on && ringTimer) { clearInterval(ringTimer); ringTimer = null; }
  }

  // --- the queue -------------------------------------------------------------------------------

  function cell(content) {
    const td = document.createElement("td");
    td.append(content instanceof Node ? content : document.createTextNode(String(content ?? "")));
    return td;
  }

  function acceptButton(c) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "help-accept";
    b.dataset.call = c.call_id;
    b.textContent = t("accept");
    b.addEventListener("click", () => accept(c.call_id, b));
    return b;
  }

  function drawQueue() {
    const waiting = [...calls.values()].filter((c) => LIVE.includes(c.state))
      .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    const rows = waiting.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.call = c.call_id;
      tr.className = "help-row " + c.state;
      const state = t("s_" + c.state) + (c.position ? ` · ${t("position")} ${c.position}` : "");
      tr.append(cell(kf.dated(c.created_at)), cell(c.site_name || c.site_path), cell(c.device_id),
        cell(c.screen || ""), cell(state), cell(kfHelpCall.current() ? "" : acceptButton(c)));
      return tr;
    });
    $("help-queue-rows").replaceChildren(...rows);
    $("help-queue-empty").hidden = rows.length > 0;
    ring(onDuty && rows.length > 0 && !kfHelpCall.current());
  }

  async function accept(callId, button) {
    button.disabled = true;
    try {
      const c = await kf.api(`${API}/calls/${encodeURIComponent(callId)}/accept`, { method: "POST", body: {} });
      calls.set(c.call_id, c);
      say("");
      ring(false);
      const opening = kfHelpCall.open(c, (was, why) => { if (why) say(why); drawQueue(); });
      drawQueue();
      await opening;
    } catch (err) {
      say(err.status === 409 ? t("taken") : err.message, true);
      button.disabled = false;
      await loadQueue().catch(() => null);
    }
  }

  function changed(c) {
    calls.set(c.call_id, c);
    const mine = kfHelpCall.current();
    if (mine && mine.call_id === c.call_id && !["active"].includes(c.state)) {
      kfHelpCall.close(c.ended_reason || t("endedByKiosk"));
    }
    if (!LIVE.includes(c.state) && c.state !== "active") calls.delete(c.call_id);
    drawQueue();
  }

  async function loadQueue() {
    const lists = await Promise.all(LIVE.map((s) => kf.api(`${API}/calls?state=${s}&limit=100`)));
    for (const c of [...calls.values()]) if (LIVE.includes(c.state)) calls.delete(c.call_id);
    for (const list of lists) for (const c of (Array.isArray(list) ? list : list.items || [])) calls.set(c.call_id, c);
    drawQueue();
  }

  function listen() {
    const source = new EventSource(API + "/events", { withCredentials: true });
    source.addEventListener("call", (e) => { try { changed(JSON.parse(e.data)); } catch (err) { /* a bad event is skipped */ } });
    // someone went on or off duty: the list of who is on duty, as GET /duty's on_duty
    source.addEventListener("duty", (e) => {
      try { $("help-duty-list").textContent = dutyNames(dutyList(JSON.parse(e.data))).join("、") || t("nobody"); } catch (err) { /* skipped */ }
    });
    // after a reconnect the queue may have moved on: read it again
    source.addEventListener("open", () => { loadQueue().catch((err) => say(err.message, true)); });
  }

  document.addEventListener("click", () => {
    if (audio) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { audio = new Ctx(); drawDuty(); }
  }, { capture: true });
  $("help-duty-toggle").addEventListener("click", toggleDuty);

  kf.start().then(async (who) => {
    me = who;
    await Promise.all([loadDuty(), loadQueue()]);
    $("help-duty-toggle").disabled = false;  // my duty is known now
    listen();
    // the events carry calls, not duty: who else is on duty is read again now and then
    setInterval(() => loadDuty().catch(() => null), DUTY_REFRESH_MS);
  }).catch((err) => say(err.message, true));
})();
