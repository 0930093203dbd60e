// Shared by the users and API tokens pages: role labels, dated times, small DOM helpers and
// the "shown only once" box with a copy button. Loaded after shell.js (uses kf.LANG).
"use strict";

const people = (() => {
  const LANG = kf.LANG;
  const ROLES = {
    "zh-CN": {
      administrator: "管理员", operator: "运维人员", technician: "技术员",
      window_staff: "窗口工作人员", auditor: "审计员",
    },
    en: {
      administrator: "administrator", operator: "operator", technician: "technician",
      window_staff: "window staff", auditor: "auditor",
    },
  }[LANG];
  const W = {
    "zh-CN": { copy: "复制", copied: "已复制", copyFailed: "无法自动复制，请手动选中复制", never: "从未" },
    en: { copy: "Copy", copied: "Copied", copyFailed: "Could not copy: select the text and copy it", never: "never" },
  }[LANG];

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function time(iso) {
    if (!iso) return W.never;
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function roleOptions(select, allowed, selected) {
    select.replaceChildren();
    for (const role of Object.keys(ROLES)) {
      if (allowed && !allowed.includes(role)) continue;
      const o = el("option", { value: role }, ROLES[role]);
      if (role === selected) o.selected = true;
      select.append(o);
    }
  }

  async function copy(text, button) {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else {
        const area = el("textarea", { readonly: "" }, text);
        document.body.append(area);
        area.select();
        const ok = document.execCommand("copy");
        area.remove();
        if (!ok) throw new Error("copy refused");
      }
      button.textContent = W.copied;
    } catch (e) {
      button.textContent = W.copyFailed;
    }
  }

  // Show a secret once: a sentence, the value, a copy button. Nothing keeps it afterwards.
  function showOnce(box, sentence, value) {
    const code = el("code", { id: "once-value" }, value);
    const button = el("button", { type: "button", id: "once-copy" }, W.copy);
    button.addEventListener("click", () => copy(value, button));
    box.replaceChildren(el("p", {}, sentence), el("p", {}, code, " ", button));
    box.hidden = false;
  }

  function message(node, text) { node.textContent = text; }

  return { LANG, ROLES, el, time, roleOptions, showOnce, message };
})();
