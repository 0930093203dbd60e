// kfleet console: enrollment. Mint a one-time token (QR code + text, shown once), list tokens
// with their state, revoke a token or a device (with a reason). zh-CN, English with ?lang=en.
"use strict";

(() => {
  const T = {
    "zh-CN": {
      title: "设备注册", mintTitle: "生成注册令牌", site: "站点", role: "设备角色",
      kiosk: "自助终端", window: "窗口电脑", hall_screen: "大厅屏幕",
      plannedId: "计划设备编号（可选）", plannedName: "设备名称（可选）", ttl: "有效期（小时）",
      mint: "生成", once: "令牌只显示这一次：请现在扫码或复制。", copy: "复制", copied: "已复制",
      expires: "到期时间", tokensTitle: "注册令牌", id: "编号", device: "设备", state: "状态",
      devicesTitle: "设备", unused: "未使用", used: "已使用", expired: "已过期", revoked: "已吊销",
      online: "在线", offline: "离线", revoke: "吊销", confirm: "确认吊销", cancel: "取消",
      reason: "吊销原因（必填）", anyDevice: "（由设备自报）", noTokens: "暂无令牌",
      noDevices: "暂无设备", revokedBecause: "已吊销：",
    },
    en: {
      title: "Enrollment", mintTitle: "Mint an enrollment token", site: "Site", role: "Role",
      kiosk: "Kiosk", window: "Window PC", hall_screen: "Hall screen",
      plannedId: "Planned device id (optional)", plannedName: "Device name (optional)",
      ttl: "Valid for (hours)", mint: "Mint", once: "The token is shown only this once: scan or copy it now.",
      copy: "Copy", copied: "Copied", expires: "Expires", tokensTitle: "Enrollment tokens",
      id: "Id", device: "Device", state: "State", devicesTitle: "Devices", unused: "unused",
      used: "used", expired: "expired", revoked: "revoked", online: "online", offline: "offline",
      revoke: "Revoke", confirm: "Confirm revoke", cancel: "Cancel", reason: "Reason (required)",
      anyDevice: "(the device names itself)", noTokens: "No tokens yet", noDevices: "No devices",
      revokedBecause: "Revoked: ",
    },
  };
  const W = T[kf.LANG];
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }

  function translate() {
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const word = W[node.dataset.i18n];
      if (word) node.textContent = word;
    }
    document.title = "kfleet · " + W.title;
  }

  async function loadSites() {
    const tree = await kf.api("/api/v1/sites");
    const select = $("mint-site");
    select.replaceChildren();
    const walk = (nodes, depth) => {
      for (const n of nodes) {
        const o = el("option", "\u00a0".repeat(depth * 2) + n.name + " (" + n.path + ")");
        o.value = n.path;
        select.append(o);
        walk(n.children || [], depth + 1);
      }
    };
    walk(tree, 0);
    const deepest = [...select.options].pop();
    if (deepest) select.value = deepest.value;
  }

  function showMinted(m) {
    $("minted").hidden = false;
    $("minted-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(m.qr_svg);
    $("minted-qr").alt = m.qr_text;
    $("minted-token").textContent = m.token;
    $("minted-expires").textContent = when(m.expires_at);
    $("copied").textContent = "";
  }

  async function mint(ev) {
    ev.preventDefault();
    $("mint-error").textContent = "";
    const body = { site: $("mint-site").value, role: $("mint-role").value };
    const device = $("mint-device").value.trim();
    const name = $("mint-name").value.trim();
    if (device) body.device_id = device;
    if (name) body.name = name;
    const hours = Number($("mint-ttl").value);
    if (hours) body.ttl_s = Math.round(hours * 3600);
    try {
      showMinted(await kf.api("/api/v1/enrollment-tokens", { method: "POST", body }));
      await loadTokens();
    } catch (err) {
      $("mint-error").textContent = err.message;
    }
  }

  async function copyToken() {
    const text = $("minted-token").textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {  // no clipboard permission: select it for Ctrl+C
      const range = document.createRange();
      range.selectNodeContents($("minted-token"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    $("copied").textContent = W.copied;
  }

  async function loadTokens() {
    const { items } = await kf.api("/api/v1/enrollment-tokens");
    const body = $("tokens").tBodies[0];
    body.replaceChildren();
    if (!items.length) body.append(row([el("td", W.noTokens, "muted")]));
    for (const t of items) {
      const tr = row([
        el("td", t.id), el("td", t.site), el("td", W[t.role] || t.role),
        el("td", t.used_by_device || t.device_id || W.anyDevice),
        el("td", W[t.state] || t.state, "state-" + t.state), el("td", when(t.expires_at)),
        el("td"),
      ]);
      tr.dataset.token = t.id;
      if (t.state === "unused") {
        const b = el("button", W.revoke);
        b.type = "button";
        b.addEventListener("click", async () => {
          await kf.api(`/api/v1/enrollment-tokens/${t.id}/revoke`, { method: "POST" });
          await loadTokens();
        });
        tr.lastChild.append(b);
      }
      body.append(tr);
    }
  }

  function row(cells) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }

  function revokeForm(d, cell) {
    const input = el("input");
    input.placeholder = W.reason;
    input.setAttribute("aria-label", W.reason);
    input.maxLength = 256;
    const ok = el("button", W.confirm);
    const no = el("button", W.cancel);
    ok.type = no.type = "button";
    ok.addEventListener("click", async () => {
      if (!input.value.trim()) { input.focus(); return; }
      try {
        await kf.api(`/api/v1/devices/${encodeURIComponent(d.id)}/revoke`,
          { method: "POST", body: { reason: input.value.trim() } });
        await loadDevices();
      } catch (err) {
        $("devices-error").textContent = err.message;
      }
    });
    no.addEventListener("click", () => loadDevices());
    cell.replaceChildren(input, " ", ok, " ", no);
    input.focus();
  }

  async function loadDevices() {
    const devices = await kf.api("/api/v1/devices");
    const body = $("devices").tBodies[0];
    body.replaceChildren();
    if (!devices.length) body.append(row([el("td", W.noDevices, "muted")]));
    for (const d of devices) {
      const state = d.revoked_at
        ? el("td", W.revokedBecause + (d.revoked_reason || ""), "revoked")
        : el("td", d.online ? W.online : W.offline);
      const action = el("td");
      const tr = row([el("td", d.name && d.name !== d.id ? `${d.name} (${d.id})` : d.id),
        el("td", d.site), state, action]);
      tr.dataset.device = d.id;
      if (!d.revoked_at) {
        const b = el("button", W.revoke);
        b.type = "button";
        b.addEventListener("click", () => revokeForm(d, action));
        action.append(b);
      }
      body.append(tr);
    }
  }

  async function main() {
    translate();
    await kf.start();
    $("mint").addEventListener("submit", mint);
    $("copy").addEventListener("click", copyToken);
    await Promise.all([loadSites(), loadTokens(), loadDevices()]);
  }

  main().catch((err) => { $("mint-error").textContent = err.message; });
})();
