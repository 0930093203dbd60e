// The kiosk's on-screen keyboard: Kiosk.keyboard(input, kind) attaches a full-width keyboard
// with large keys (simple-keyboard, vendored under vendor/simple-keyboard/) to one input.
// Kinds: digits, id_number (17 digits and a check digit 0-9 or X), phone (11 digits) and
// alnum (upper-case letters and digits: case numbers, card numbers). The system keyboard is
// kept away (inputmode=none); the keyboard closes at 完成, at every screen change and at clear.
"use strict";

(function () {
  const K = window.Kiosk;
  const Lib = window.SimpleKeyboard && window.SimpleKeyboard.default;
  const NUM = ["1 2 3", "4 5 6", "7 8 9"];
  const KINDS = {
    digits: { layout: [...NUM, "{clear} 0 {bksp}", "{done}"], pattern: /^[0-9]*$/, max: 32 },
    id_number: { layout: [...NUM, "X 0 {bksp}", "{clear} {done}"], pattern: /^([0-9]{0,18}|[0-9]{17}X)$/, max: 18 },
    phone: { layout: [...NUM, "{clear} 0 {bksp}", "{done}"], pattern: /^[0-9]{0,11}$/, max: 11 },
    alnum: {
      layout: ["1 2 3 4 5 6 7 8 9 0", "Q W E R T Y U I O P", "A S D F G H J K L", "Z X C V B N M {bksp}", "{clear} {space} {done}"],
      pattern: /^[0-9A-Z ]*$/, max: 40,
    },
  };
  const WORDS = {
    "{bksp}": { zh: "⌫ 删除", en: "⌫ Delete" },
    "{clear}": { zh: "清空", en: "Clear" },
    "{done}": { zh: "完成", en: "Done" },
    "{space}": { zh: "空格", en: "Space" },
  };
  let open = null; // {input, kind, kb, panel, onDone}

  function panel() {
    let p = document.getElementById("k-kbd");
    if (!p) {
      p = K.el("div", { id: "k-kbd", class: "kbd", role: "group", hidden: true });
      document.body.append(p);
    }
    p.setAttribute("aria-label", K.t({ zh: "屏幕键盘", en: "On-screen keyboard" }));
    return p;
  }

  function label(btn) {
    return WORDS[btn] ? K.t(WORDS[btn]) : btn;
  }

  /** Give each key a role and a name (screen readers), after every render. */
  function named(root) {
    root.querySelectorAll(".hg-button").forEach((b) => {
      b.setAttribute("role", "button");
      b.setAttribute("aria-label", label(b.dataset.skbtn));
    });
  }

  function setValue(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    K.dirty = true;
  }

  function close() {
    if (!open) return;
    const { kb, input } = open;
    open = null;
    try { kb.destroy(); } catch (e) { /* already gone */ }
    const p = document.getElementById("k-kbd");
    if (p) { p.hidden = true; p.replaceChildren(); }
    document.body.classList.remove("kbd-open");
    if (input.isConnected) input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function press(btn) {
    if (!open) return;
    if (btn === "{done}") {
      const { onDone, input } = open;
      close();
      if (onDone) onDone(input.value);
    } else if (btn === "{clear}") {
      open.kb.setInput("");
      setValue(open.input, "");
    }
  }

  function show(input, kind, onDone) {
    if (open && open.input === input) return;
    close();
    const spec = KINDS[kind] || KINDS.alnum;
    const p = panel();
    const host = K.el("div", { class: "simple-keyboard" });
    p.replaceChildren(host);
    p.hidden = false;
    p.dataset.kind = kind;
    document.body.classList.add("kbd-open");
    const display = {};
    for (const k of Object.keys(WORDS)) display[k] = label(k);
    const kb = new Lib(host, {
      layout: { default: spec.layout },
      layoutName: "default",
      display,
      mergeDisplay: true,
      theme: "hg-theme-default k-keys",
      maxLength: spec.max,
      inputPattern: spec.pattern,
      disableButtonHold: true,
      onChange: (value) => setValue(input, value),
      onKeyPress: press,
      onRender: () => named(host),
    });
    kb.setInput(input.value);
    named(host);
    open = { input, kind, kb, onDone };
    input.scrollIntoView({ block: "center" });
  }

  /** Attach the keyboard of ``kind`` to ``input``; it opens when the input is touched (and
   *  now when opts.open). opts.onDone(value) runs at 完成. Returns {open(), close()}. */
  function keyboard(input, kind, opts) {
    const o = opts || {};
    const spec = KINDS[kind] || KINDS.alnum;
    input.setAttribute("inputmode", "none");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.maxLength = spec.max;
    input.dataset.keyboard = kind;
    const openIt = () => show(input, kind, o.onDone);
    input.addEventListener("focus", openIt);
    input.addEventListener("pointerdown", openIt);
    input.addEventListener("input", () => {
      if (open && open.input === input && open.kb.getInput() !== input.value) open.kb.setInput(input.value);
    });
    if (o.open) openIt();
    return { open: openIt, close };
  }

  if (Lib) {
    K.keyboard = keyboard;
    K.closeKeyboard = close;
    K.onShow(close);
    K.onClear(close);
  }
})();
