// 高龄补贴: registration (ID card → age ≥ 70 → the 青海省高龄补贴登记表 with the bank card →
// submitted to the 民政局 → receipt) and the periodic certification by face verification
// (ID card → the cloud's randomised actions, each shown and spoken → a short clip from the
// kiosk's camera judged by the face-verification service → the answer). Nothing personal is
// kept here: the card, the challenge and the clip stay in the agent.
"use strict";

(function () {
  const K = window.Kiosk;
  let gen = 0;
  const stale = (my) => my !== gen;
  const ACTIONS = {
    blink: { zh: "请眨眨眼", en: "Blink your eyes", icon: "😑" },
    mouth: { zh: "请张张嘴", en: "Open your mouth", icon: "😮" },
    left: { zh: "请慢慢向左转头", en: "Slowly turn your head to the left", icon: "⬅️" },
    right: { zh: "请慢慢向右转头", en: "Slowly turn your head to the right", icon: "➡️" },
  };

  K.onClear(() => { gen++; });

  /** Guidance is spoken whether or not elder mode is on (a voice is this flow's main help). */
  function voice(words) {
    if (K.speak && K.speak(words)) return;
    const synth = window.speechSynthesis;
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;
    try { const u = new window.SpeechSynthesisUtterance(K.t(words)); u.lang = K.lang; u.rate = 0.85; synth.cancel(); synth.speak(u); } catch (e) { /* speech is a help */ }
  }

  function errText(answer) {
    const d = answer.data || {};
    if (d.citizen_message) return { zh: d.citizen_message, en: d.citizen_message_en || d.citizen_message };
    return { zh: K.errorText(answer), en: K.errorText(answer) };
  }

  function back() { return K.el("button", { type: "button", class: "plain", onclick: () => K.back() }, K.t({ zh: "返回", en: "Back" })); }

  function renderHome(root) {
    gen++;
    root.replaceChildren(
      K.el("p", { class: "ke-lead" }, K.t({ zh: "年满70周岁的老年人可以在这里登记高龄补贴，并完成每年的生存认证。", en: "Citizens aged 70 or over register for the old-age allowance here, and certify each year that they are alive." })),
      K.el("ul", { class: "tiles" },
        K.el("li", {}, K.el("button", { type: "button", class: "tile", id: "ke-register", onclick: () => K.go("elderly-register") },
          K.el("span", { class: "icon", "aria-hidden": "true" }, "📝"), K.t({ zh: "高龄补贴登记", en: "Register" }))),
        K.el("li", {}, K.el("button", { type: "button", class: "tile", id: "ke-certify", onclick: () => K.go("elderly-cert") },
          K.el("span", { class: "icon", "aria-hidden": "true" }, "🙂"), K.t({ zh: "高龄补贴认证（人脸核验）", en: "Yearly certification (face check)" })))),
      back());
  }

  /** The card in the agent's session and whether its holder may go on: reads it when needed. */
  async function cardStatus(root, my) {
    let status = await K.api("GET", "/elderly/status");
    if (stale(my)) return null;
    if (status.ok && !status.data.card) {
      root.replaceChildren(K.message("info", { zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" }));
      voice({ zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" });
      const read = await K.readCard();
      if (stale(my)) return null;
      if (!read.ok) { root.replaceChildren(K.message("error", errText(read)), retry(root)); return null; }
      status = await K.api("GET", "/elderly/status");
      if (stale(my)) return null;
    }
    if (!status.ok) { root.replaceChildren(K.message("error", errText(status)), back()); return null; }
    K.dirty = true;
    if (!status.data.eligible) {
      const reason = status.data.reason;
      root.replaceChildren(K.el("div", { id: "ke-refused" }, K.message("error", reason)), back());
      voice(reason);
      return null;
    }
    return status.data;
  }

  function retry(root) {
    return K.el("div", { class: "ke-actions" }, K.el("button", { type: "button", class: "big", onclick: () => K.go(K.current, {}) }, K.t({ zh: "重新读卡", en: "Read again" })), back());
  }

  async function renderRegister(root) {
    const my = ++gen;
    const who = await cardStatus(root, my);
    if (!who) return;
    const def = await K.api("GET", "/elderly/form");
    if (stale(my)) return;
    if (!def.ok) { root.replaceChildren(K.message("error", errText(def)), back()); return; }
    K.title({ zh: def.data.title, en: def.data.title_en || def.data.title });
    const status = K.el("div", { id: "ke-status", "aria-live": "polite" },
      K.message("ok", { zh: `您今年${who.age}周岁，可以登记（${who.tier}）。请填写以下信息。`, en: `You are ${who.age}: you may register (tier ${who.tier}). Please fill in the form.` }));
    const host = K.el("div", { class: "ke-form" });
    root.replaceChildren(status, host);
    const form = K.form(host, def.data, { card: who.masked });
    const submit = K.el("button", { type: "button", class: "big", id: "ke-submit", onclick: async () => {
      submit.disabled = true;
      status.replaceChildren(K.message("info", { zh: "正在提交，请稍候…", en: "Submitting, please wait…" }));
      const done = await K.api("POST", "/elderly/register", { data: form.values() });
      submit.disabled = false;
      if (stale(my)) return;
      if (!done.ok && done.data && done.data.code === "form_invalid" && done.data.problems) {
        form.showProblems(done.data.problems);
        status.replaceChildren(K.message("error", { zh: "请按提示修改后再提交。", en: "Please correct what is marked and submit again." }));
        return;
      }
      if (!done.ok) { status.replaceChildren(K.message("error", errText(done))); return; }
      K.go("elderly-done", { kind: "register", ...done.data });
    } }, K.t({ zh: "提交登记", en: "Submit" }));
    root.append(K.el("div", { class: "ke-actions" }, submit, back()));
  }

  function renderDone(root, params) {
    gen++;
    if (params.kind === "register") {
      K.title({ zh: "登记已受理", en: "Registration accepted" });
      root.replaceChildren(K.el("div", { id: "ke-done" },
        K.message("ok", { zh: "您的高龄补贴登记已提交民政局受理，社区将在15个工作日内审核。", en: "The Civil Affairs Bureau accepted your registration; the community reviews it within 15 working days." }),
        K.el("dl", { class: "ke-record" },
          K.el("dt", {}, K.t({ zh: "受理编号", en: "Number" })), K.el("dd", { id: "ke-number" }, params.application_no),
          K.el("dt", {}, K.t({ zh: "补贴档次", en: "Tier" })), K.el("dd", {}, params.tier),
          K.el("dt", {}, K.t({ zh: "受理时间", en: "Accepted" })), K.el("dd", {}, params.accepted_at)),
        receiptNote(params.job_id)),
      K.el("button", { type: "button", class: "big", onclick: () => K.clearAll() }, K.t({ zh: "完成并退出", en: "Done: exit" })));
      voice({ zh: "登记已受理，请取走回执。", en: "Accepted. Please take your receipt." });
    }
  }

  function receiptNote(jobId) {
    return jobId ? K.message("info", { zh: "正在打印回执，请取走。", en: "Printing your receipt: please take it." })
      : K.message("warn", { zh: "本机暂时无法打印回执，请记下受理编号。", en: "This kiosk cannot print the receipt now: please note the number." });
  }

  async function renderCert(root) {
    const my = ++gen;
    const who = await cardStatus(root, my);
    if (!who) return;
    const start = K.el("button", { type: "button", class: "big", id: "ke-cert-start", onclick: () => runCert(root, my) }, K.t({ zh: "开始认证", en: "Start" }));
    root.replaceChildren(K.el("div", { id: "ke-status", "aria-live": "polite" },
      K.message("info", { zh: "请摘下帽子和眼镜，正对屏幕上方的摄像头。认证开始后，请按屏幕和语音提示做动作。", en: "Take off any hat or glasses and face the camera above the screen. Then do each action as the screen and voice ask." })),
    K.el("p", { class: "ke-note" }, K.t({ zh: "视频仅用于本次人脸核验，核验结束即删除。", en: "The video is used only for this check and deleted once it is answered." })),
    K.el("div", { class: "ke-actions" }, start, back()));
    voice({ zh: "请正对摄像头，准备好后点击开始认证。", en: "Face the camera and tap Start when ready." });
  }

  async function runCert(root, my) {
    const status = document.getElementById("ke-status");
    const started = await K.api("POST", "/elderly/cert/start");
    if (stale(my)) return;
    if (!started.ok) { status.replaceChildren(K.message("error", errText(started))); return; }
    const { actions, seconds } = started.data;
    const prompt = K.el("div", { id: "ke-action", class: "ke-action", role: "status", "aria-live": "assertive" });
    root.replaceChildren(K.el("p", { class: "ke-lead" }, K.t({ zh: "正在录制，请按提示做动作", en: "Recording: do each action" })), prompt);
    const answer = K.api("POST", "/elderly/cert/record", {}); // the agent records while the prompts run
    for (const [i, a] of actions.entries()) {
      if (stale(my)) return;
      const words = ACTIONS[a] || { zh: a, en: a, icon: "" };
      prompt.replaceChildren(K.el("span", { class: "ke-icon", "aria-hidden": "true" }, words.icon),
        K.el("span", { "data-action": a }, K.t(words)), K.el("span", { class: "ke-step" }, `${i + 1}/${actions.length}`));
      voice(words);
      await new Promise((done) => setTimeout(done, seconds * 1000)); // the citizen's time for the action
    }
    prompt.replaceChildren(K.t({ zh: "正在核验，请稍候…", en: "Checking, please wait…" }));
    const got = await answer;
    if (stale(my)) return;
    K.title({ zh: "认证结果", en: "Result" });
    const again = K.el("button", { type: "button", class: "big", id: "ke-cert-again", onclick: () => K.go("elderly-cert") }, K.t({ zh: "重新认证", en: "Try again" }));
    if (!got.ok) {
      root.replaceChildren(K.el("div", { id: "ke-result", "data-result": "error" }, K.message("error", errText(got))), K.el("div", { class: "ke-actions" }, again, back()));
      voice(errText(got));
      return;
    }
    const d = got.data;
    const words = { zh: d.citizen_message, en: d.citizen_message_en };
    const box = K.el("div", { id: "ke-result", "data-result": d.result }, K.message(d.result === "pass" ? "ok" : "error", words));
    if (d.result === "pass") {
      box.append(K.el("dl", { class: "ke-record" },
        K.el("dt", {}, K.t({ zh: "认证编号", en: "Number" })), K.el("dd", {}, d.certification_no),
        K.el("dt", {}, K.t({ zh: "下次认证", en: "Next due" })), K.el("dd", {}, d.next_due)), receiptNote(d.job_id));
      root.replaceChildren(box, K.el("button", { type: "button", class: "big", onclick: () => K.clearAll() }, K.t({ zh: "完成并退出", en: "Done: exit" })));
    } else {
      root.replaceChildren(box, K.el("div", { class: "ke-actions" }, again, back()));
    }
    voice(words);
  }

  K.screen({ id: "elderly", order: 40, network: true, tile: { zh: "高龄补贴", en: "Old-age allowance", icon: "🧓" }, title: { zh: "高龄补贴登记与认证", en: "Old-age allowance" }, render: renderHome });
  K.screen({ id: "elderly-register", title: { zh: "高龄补贴登记", en: "Register for the old-age allowance" }, render: renderRegister });
  K.screen({ id: "elderly-cert", title: { zh: "高龄补贴认证", en: "Yearly certification" }, render: renderCert });
  K.screen({ id: "elderly-done", title: { zh: "登记已受理", en: "Registration accepted" }, render: renderDone });
})();
