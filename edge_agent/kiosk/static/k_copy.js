// 自助复印: place the page → choose what the copy may be used for (仅供…使用) and how many →
// preview (scanned here, marked as the copy will be) → print on this kiosk's A4 printer
// (a copy job, recorded by the print audit). Nothing to pay. The preview stays on the agent,
// in the session's memory: the exit button or the idle timeout forgets it.
"use strict";

(function () {
  const K = window.Kiosk;
  const el = K.el;
  const POLL_MS = 1000;
  const GIVE_UP_MS = 120000;
  let labels = null;

  document.head.append(el("link", { rel: "stylesheet", href: "/kiosk/static/k_copy.css" }));

  function requestId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "copy-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function status(root, kind, words) {
    root.querySelector(".copy-status").replaceChildren(K.message(kind, words));
  }

  function errorText(answer) {
    return K.errorText(answer);
  }

  function choices(root, params) {
    const set = el("fieldset", { class: "copy-labels" },
      el("legend", {}, K.t({ zh: "复印件用途（将印在复印件上：仅供…使用）", en: "What the copy is for (printed on it: “for … only”)" })));
    for (const label of labels) {
      const id = "copy-l-" + labels.indexOf(label);
      const input = el("input", { type: "radio", name: "copy-label", id, value: label.zh });
      if (params.label === label.zh) input.checked = true;
      input.addEventListener("change", () => {
        params.label = label.zh;
        K.dirty = true;
        for (const box of set.querySelectorAll(".copy-label")) box.classList.toggle("chosen", box.contains(input));
      });
      const box = el("label", { class: "copy-label" + (input.checked ? " chosen" : ""), for: id, "data-label": label.zh },
        input, el("span", {}, K.t({ zh: "仅供" + label.zh + "使用", en: "For " + label.en + " only" })));
      set.append(box);
    }
    return set;
  }

  function counter(params, max) {
    const out = el("output", { id: "copy-n", "aria-live": "polite" }, String(params.copies));
    const step = (d) => { params.copies = Math.min(max, Math.max(1, params.copies + d)); out.textContent = String(params.copies); };
    return el("div", { class: "copy-count" },
      el("span", { id: "copy-n-label" }, K.t({ zh: "份数", en: "Copies" })),
      el("button", { type: "button", class: "plain", "aria-label": K.t({ zh: "减少一份", en: "One fewer" }), onclick: () => step(-1) }, "−"),
      out,
      el("button", { type: "button", class: "plain", "aria-label": K.t({ zh: "增加一份", en: "One more" }), onclick: () => step(1) }, "+"));
  }

  async function preview(root, params) {
    if (!params.label) { status(root, "warn", { zh: "请先选择复印件用途。", en: "Please choose what the copy is for first." }); return; }
    status(root, "info", { zh: "正在拍摄，请勿移动材料…", en: "Scanning: please keep the page still…" });
    const a = await K.api("POST", "/copy/preview", { label: params.label, lang: K.lang === "en" ? "en" : "zh-CN" });
    if (!a.ok) { status(root, "error", errorText(a)); return; }
    params.preview = a.data;
    K.dirty = true;
    showPreview(root, params);
  }

  function showPreview(root, params) {
    const p = params.preview;
    const box = root.querySelector(".copy-preview");
    box.replaceChildren(
      el("img", { src: p.preview, width: p.width, height: p.height, alt: K.t({ zh: "复印预览：" + p.watermark, en: "Copy preview: " + p.watermark }) }),
      el("p", { class: "copy-mark" }, p.watermark));
    status(root, p.page_found ? "ok" : "warn", p.page_found
      ? { zh: "请确认预览，然后按“打印复印件”。", en: "Check the preview, then press “Print the copy”." }
      : { zh: "没有找到完整的纸张边缘，请把材料平放在高拍仪正下方后重新拍摄。", en: "The page's edges were not all found: lay it flat under the camera and scan again." });
    root.querySelector("#copy-print").disabled = false;
  }

  async function follow(root, jobId) {
    const started = Date.now();
    while (Date.now() - started < GIVE_UP_MS) {
      if (!root.isConnected) return;  // the citizen left (or the session was cleared)
      const a = await K.api("GET", "/copy/jobs/" + jobId);
      if (!a.ok) { status(root, "error", errorText(a)); return; }
      const s = a.data.state;
      if (s === "done") {
        status(root, "ok", { zh: "复印完成，请在打印机出纸口取走复印件，并取回您的原件。", en: "Done: take your copy from the printer, and take back your original." });
        if (K.speak) K.speak({ zh: "复印完成，请取走复印件和原件", en: "Done. Please take your copy and your original." });
        return;
      }
      if (s !== "waiting") { status(root, s === "uncertain" ? "warn" : "error", { zh: a.data.citizen_message, en: a.data.citizen_message_en }); return; }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    status(root, "warn", { zh: "复印时间较长，请查看出纸口或联系工作人员。", en: "The copy is taking long: check the printer or ask a member of staff." });
  }

  async function print(root, params, button) {
    button.disabled = true;
    status(root, "info", { zh: "正在复印，请稍候…", en: "Copying, please wait…" });
    const a = await K.api("POST", "/copy/print", { label: params.label, copies: params.copies, lang: K.lang === "en" ? "en" : "zh-CN", request_id: params.requestId });
    if (!a.ok) { button.disabled = false; status(root, "error", errorText(a)); return; }
    params.requestId = requestId();  // the next press is another copy
    await follow(root, a.data.job_id);
    button.disabled = false;
  }

  function draw(root, params, max) {
    const previewBtn = el("button", { type: "button", class: "big", id: "copy-preview" }, K.t({ zh: "拍摄预览", en: "Scan and preview" }));
    previewBtn.addEventListener("click", () => preview(root, params));
    const printBtn = el("button", { type: "button", class: "big", id: "copy-print", disabled: true }, K.t({ zh: "打印复印件", en: "Print the copy" }));
    printBtn.addEventListener("click", () => print(root, params, printBtn));
    root.append(
      el("ol", { class: "copy-steps" },
        el("li", {}, K.t({ zh: "将材料正面朝上平放在高拍仪下方。", en: "Lay the page face up under the document camera." })),
        el("li", {}, K.t({ zh: "选择复印件用途和份数，然后拍摄预览。", en: "Choose what the copy is for and how many, then preview." })),
        el("li", {}, K.t({ zh: "确认预览后打印。自助复印免费。", en: "Check the preview and print. Copying is free." }))),
      choices(root, params),
      counter(params, max),
      el("div", { class: "copy-actions" }, previewBtn, printBtn),
      el("div", { class: "copy-status", "aria-live": "polite" }),
      el("section", { class: "copy-preview", "aria-label": K.t({ zh: "预览", en: "Preview" }) }));
    if (params.preview) showPreview(root, params);
  }

  async function render(root, params) {
    params.copies = params.copies || 1;
    params.requestId = params.requestId || requestId();
    if (!labels) {
      const a = await K.api("GET", "/copy/labels");
      if (!a.ok) { root.append(K.message("error", errorText(a))); return; }
      labels = a.data.labels;
      params.max = a.data.max_copies;
    }
    draw(root, params, params.max || 5);
  }

  K.screen({
    id: "copy",
    order: 60,
    network: true,
    tile: { zh: "自助复印", en: "Self-service copy", icon: "📄" },
    title: { zh: "自助复印", en: "Self-service copy" },
    render,
  });
})();
