// Kiosk.readCard(): "请将身份证放在读卡区" with a 取消 button while the agent waits for the card
// (POST /kiosk/api/idcard/read). Resolves to the api() answer: {ok: true, data: the masked
// card {id_number: "6328**********0137", name: "王*", sex, birth_year, read_at}} or a failed
// answer whose Kiosk.errorText says what happened (no card, reader fault, cancelled...).
// The full card stays in the agent's session; the browser never sees it.
"use strict";

(function () {
  const K = window.Kiosk;
  let reading = null;

  function dialog() {
    const text = K.el("p", { id: "k-card-text", class: "card-text" }, K.t({ zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" }));
    const hint = K.el("p", { class: "card-hint" }, K.t({ zh: "读卡时请勿移动卡片", en: "Keep the card still while it is read" }));
    const cancel = K.el("button", { type: "button", id: "k-card-cancel", class: "big" }, K.t({ zh: "取消", en: "Cancel" }));
    const box = K.el("div", { id: "k-card", class: "card-wait", role: "dialog", "aria-modal": "true", "aria-labelledby": "k-card-text" },
      K.el("div", { class: "card-icon", "aria-hidden": "true" }, "🪪"), text, hint, cancel);
    cancel.addEventListener("click", () => { K.api("POST", "/idcard/cancel"); });
    return box;
  }

  /** Read the ID card through the agent; opts.timeout_s (default 20) bounds the wait. */
  async function readCard(opts) {
    if (reading) return reading;
    const timeout = (opts && opts.timeout_s) || 20;
    const before = document.activeElement;
    const box = dialog();
    document.body.append(box);
    document.getElementById("k-card-cancel").focus();
    K.speak && K.speak({ zh: "请将身份证放在读卡区", en: "Please place your ID card on the reader" });
    reading = K.api("POST", "/idcard/read", { timeout_s: timeout });
    try {
      return await reading;
    } finally {
      reading = null;
      box.remove();
      if (before && before.isConnected && before.focus) before.focus();
    }
  }

  K.readCard = readCard;
  K.onClear(() => { const box = document.getElementById("k-card"); if (box) box.remove(); });
})();
