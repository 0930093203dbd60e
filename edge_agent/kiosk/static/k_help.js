// Video help (视频帮办): the tile or the hardware call button → a call to the call centre
// (calling…, the place in the queue, cancel) → the staff member's video in a floating window
// that stays while the citizen uses other screens → the end, or "nobody answered" with what to
// do. The agent relays everything (the browser holds no token); the staff member's picture
// comes by WHEP through the agent. Every state change is announced as a `kf-help-call`
// document event {callId, state} for the remote-operation script (kiosk.cobrowse.js).
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  const WAIT_S = 20;
  const LIVE = ["waiting", "ringing", "active"];
  const GIVE_UP_MS = 60000;  // a call without the cloud this long ends on the kiosk
  // the one call of this kiosk: {id, state, position, operator, message, pc, whep, source}
  let call = null;
  let watching = 0;  // the watch loop's generation: a new call or a clear stops the old loop


  const WORDS = {
    calling: { zh: "正在呼叫工作人员，请稍候…", en: "Calling a staff member, please wait…" },
    ringing: { zh: "工作人员的电话正在响铃…", en: "A staff member's phone is ringing…" },
    active: { zh: "工作人员已接通，请对着屏幕说话。", en: "A staff member has answered: please speak to the screen." },
    missed: { zh: "暂时没有工作人员接听。请到大厅咨询台或窗口寻求帮助，或稍后再试。", en: "No staff member could answer now. Please ask at the hall's information desk or a window, or try again later." },
    cancelled: { zh: "您已取消呼叫。", en: "You cancelled the call." },
    ended: { zh: "视频帮办已结束，感谢您的使用。", en: "The video help call has ended. Thank you." },
    lost: { zh: "网络中断，正在重新连接…", en: "The network dropped: reconnecting…" },
    gaveUp: { zh: "网络中断，视频帮办已结束。请稍后重新呼叫，或到大厅咨询台、窗口寻求帮助。", en: "The network dropped and the video help call has ended. Please call again later, or ask at the information desk or a window." },
  };

  // shown only where the call centre records calls (a setting, off by default)
  const RECORDING = { zh: "● 本次通话正在录音录像，用于服务质量监督。", en: "● This call is being recorded for service-quality review." };

  function requestId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "help-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function announce() {
    if (!call) return;
    document.dispatchEvent(new CustomEvent("kf-help-call", { detail: { callId: call.id, state: call.state } }));
  }

  /** What the citizen is told now: the cloud's own sentence when it wrote one. */
  function sentence() {
    if (call.lost) return WORDS.lost;
    if (["missed", "ended", "cancelled"].includes(call.state) && call.message) return call.message;
    if (call.state === "waiting") {
      const ahead = call.position > 1 ? { zh: `您前面还有 ${call.position - 1} 位市民在等待。`, en: `${call.position - 1} person(s) ahead of you.` } : null;
      return ahead ? { zh: WORDS.calling.zh + ahead.zh, en: WORDS.calling.en + " " + ahead.en } : WORDS.calling;
    }
    return WORDS[call.state] || WORDS.calling;
  }

  // --- the staff member's video (WHEP through the agent) -------------------------------------

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
      pc.addEventListener("icegatheringstatechange", done);
    });
  }

  async function watchOperator() {
    if (!call || call.pc) return;
    const pc = new RTCPeerConnection({ iceServers: [] });
    call.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    // the kiosk's network dropped long enough for the media to fail: fetch the picture again
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState !== "failed" || !call || call.pc !== pc) return;
      stopVideo();
      if (call.state === "active") setTimeout(watchOperator, 1500);
    });
    pc.addEventListener("track", (e) => { stream.addTrack(e.track); const v = document.getElementById("k-help-video"); if (v && v.srcObject !== stream) v.srcObject = stream; });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await fetch(`/kiosk/api/help/calls/${call.id}/whep`, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp, cache: "no-store" }).catch(() => null);
    if (!r || r.status !== 201 || !call || call.pc !== pc) {
      // the staff member's camera may not be up yet (404): look again shortly while the call runs
      pc.close();
      if (call && call.pc === pc) { call.pc = null; if (call.state === "active") setTimeout(watchOperator, 1500); }
      return;
    }
    call.whep = r.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
  }

  function stopVideo() {
    if (!call) return;
    if (call.pc) call.pc.close();
    if (call.whep) fetch(call.whep, { method: "DELETE", cache: "no-store" }).catch(() => null);
    call.pc = null; call.whep = null;
  }

  // --- the floating window (stays above every screen while a call runs) ------------------------

  function floating() {
    let box = document.getElementById("k-help-float");
    if (box) return box;
    const video = el("video", { id: "k-help-video", autoplay: true, playsinline: true, "aria-label": K.t({ zh: "工作人员的视频", en: "The staff member's video" }) });
    const hang = el("button", { type: "button", id: "k-help-hangup", class: "big danger" }, el("span", { "data-zh": "结束通话", "data-en": "End the call" }, K.t({ zh: "结束通话", en: "End the call" })));
    hang.addEventListener("click", () => cancel());
    box = el("aside", { id: "k-help-float", class: "help-float", "aria-label": K.t({ zh: "视频帮办", en: "Video help" }) },
      el("p", { class: "help-float-who", id: "k-help-who", role: "status" }), video,
      el("p", { class: "help-recording", id: "k-help-recording", hidden: true }), hang);
    document.body.append(box);
    return box;
  }

  function drawFloat() {
    const box = document.getElementById("k-help-float");
    if (!call || call.state !== "active") { if (box) box.remove(); return; }
    floating().querySelector("video").setAttribute("aria-label", K.t({ zh: "工作人员的视频", en: "The staff member's video" }));
    const who = call.lost ? WORDS.lost : call.operator ? { zh: `工作人员 ${call.operator} 正在为您服务`, en: `${call.operator} is helping you` } : WORDS.active;
    document.getElementById("k-help-who").textContent = K.t(who);
    const rec = document.getElementById("k-help-recording");
    rec.hidden = !call.recording;
    rec.textContent = K.t(RECORDING);
  }

  // --- the help screen ---------------------------------------------------------------------------

  function drawScreen() {
    const root = document.getElementById("k-screen");
    if (K.current !== "help" || !root) return;
    const live = call && LIVE.includes(call.state);
    const kind = !call ? "info" : call.state === "missed" || call.lost ? "warn" : call.state === "active" ? "ok" : "info";
    const box = el("div", { class: "help-state" + (live && call.state !== "active" ? " calling" : ""), "data-state": call ? call.state : "none" },
      el("span", { class: "help-icon", "aria-hidden": "true" }, "☎"),
      K.message(kind, call ? sentence() : WORDS.calling));
    const actions = el("div", { class: "help-actions" });
    if (live && call.state !== "active") {
      const c = el("button", { type: "button", id: "k-help-cancel", class: "big" }, K.t({ zh: "取消呼叫", en: "Cancel the call" }));
      c.addEventListener("click", () => cancel());
      actions.append(c);
    } else if (call && !live) {
      const again = el("button", { type: "button", id: "k-help-again", class: "big" }, K.t({ zh: "重新呼叫", en: "Call again" }));
      again.addEventListener("click", () => { call = null; start("tile"); });
      const home = el("button", { type: "button", class: "plain", id: "k-help-home" }, K.t({ zh: "返回首页", en: "Back to the home screen" }));
      home.addEventListener("click", () => K.home());
      actions.append(again, home);
    }
    const rec = call && call.recording && live ? el("p", { class: "help-recording" }, K.t(RECORDING)) : null;
    const note = live && call.state === "active" ? el("p", { class: "help-note" }, K.t({ zh: "视频窗口会一直显示，您可以继续使用其他功能。", en: "The video window stays on screen while you use other services." })) : null;
    root.replaceChildren(el("p", { class: "help-intro" }, K.t({ zh: "视频帮办：大厅工作人员通过视频为您解答问题、协助办理。", en: "Video help: a hall staff member answers your questions and helps you over video." })), box, rec || "", actions, note || "");
  }

  function update(data) {
    if (!call || !data) return;
    const before = call.state;
    call.lost = false;
    call.state = data.state || call.state;
    call.position = data.position || 0;
    call.operator = data.operator_name || call.operator;
    call.recording = !!data.recording;
    if (data.citizen_message) call.message = { zh: data.citizen_message, en: data.citizen_message_en || data.citizen_message };
    if (call.state === "active" && data.operator_video) watchOperator();
    if (!LIVE.includes(call.state)) stopVideo();
    drawFloat();
    drawScreen();
    if (before !== call.state) {
      announce();
      if (K.speak) K.speak(sentence());
      if (!LIVE.includes(call.state) && K.current !== "help") K.go("help", { result: true });
    }
  }

  async function watch(gen) {
    let failures = 0, lostAt = 0;
    while (call && gen === watching && LIVE.includes(call.state)) {
      const a = await K.api("GET", `/help/calls/${call.id}?wait_s=${WAIT_S}`);
      if (gen !== watching || !call) return;
      if (a.ok) { failures = 0; lostAt = 0; update(a.data); continue; }
      if (a.status === 404) { update({ state: "ended" }); return; }  // the call centre forgot it
      lostAt = lostAt || Date.now();
      if (Date.now() - lostAt > GIVE_UP_MS) {  // too long without the cloud: end it plainly
        const id = call.id;
        call.message = WORDS.gaveUp;
        update({ state: "ended" });
        K.api("POST", `/help/calls/${id}/cancel`, {});  // tells the call centre if it can
        return;
      }
      failures += 1;
      call.lost = true;
      drawScreen();
      drawFloat();
      // a dropped network: try again, more slowly (a backoff, not synchronisation)
      await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * failures)));
    }
  }

  // `from`: the screen the citizen was on (the operator sees it in the queue)
  async function start(source, from) {
    if (call && LIVE.includes(call.state)) { drawScreen(); return; }
    call = { id: null, state: "waiting", position: 0, source };
    drawScreen();
    const a = await K.api("POST", "/help/calls", { request_id: requestId(), lang: K.lang, screen: from || "home", source });
    if (!a.ok) {
      call = null;
      const root = document.getElementById("k-screen");
      if (K.current === "help") root.replaceChildren(K.message("error", K.errorText(a)));
      return;
    }
    call.id = a.data.call_id;
    announce();
    update(a.data);
    watching += 1;
    watch(watching);
  }

  async function cancel() {
    if (!call || !call.id) return;
    const a = await K.api("POST", `/help/calls/${call.id}/cancel`, {});
    if (a.ok) update(a.data);
    else { stopVideo(); call.state = "cancelled"; drawFloat(); drawScreen(); announce(); }
  }

  // the hardware call button: a press while no call runs opens this screen and calls
  async function buttonLoop() {
    let seen = null;
    for (;;) {
      const a = await K.api("GET", "/help/button" + (seen === null ? "?wait_s=0" : `?after=${seen}&wait_s=${WAIT_S}`));
      if (!a.ok) { await new Promise((r) => setTimeout(r, 5000)); continue; }
      if (!a.data.buttons) return;  // this kiosk has no call button
      const pressed = seen !== null && a.data.presses > seen;
      seen = a.data.presses;
      if (pressed && !(call && LIVE.includes(call.state))) K.go("help", { source: "button", from: K.current });
    }
  }

  // a citizen talking to a staff member does not touch the screen: no idle clear meanwhile
  if (K.holdIdle) K.holdIdle(() => !!call && LIVE.includes(call.state));
  K.onShow(() => drawFloat());  // the window's words follow the language

  K.onClear(() => {
    if (call && call.id && LIVE.includes(call.state)) K.api("POST", `/help/calls/${call.id}/cancel`, {});
    stopVideo();
    call = null;
    watching += 1;
    drawFloat();
  });

  K.screen({
    id: "help",
    order: 90,
    network: true,
    tile: { zh: "视频帮办", en: "Video help", icon: "☎" },
    title: { zh: "视频帮办", en: "Video help" },
    render(root, params) {
      // a redraw (language, elder mode) keeps what is shown; a new visit from a tile calls
      if (call && (LIVE.includes(call.state) || params.result || params.started)) { drawScreen(); return; }
      params.started = true;
      start(params.source || "tile", params.from);
    },
  });

  document.addEventListener("DOMContentLoaded", () => { buttonLoop(); });
})();
