// kfleet API tokens page (any signed-in person): create a token for an integration — its
// secret is shown once with a copy button — list tokens without secrets, revoke. With
// users.manage, also everyone's tokens in my scope. zh-CN by default, English with ?lang=en.
"use strict";

(() => {
  const { el, time, ROLES } = people;
  const T = {
    "zh-CN": {
      title: "API 令牌", create: "新建令牌", list: "令牌列表", name: "名称（用途）", role: "角色",
      scope: "范围（站点路径）", days: "有效天数", hint: "留空表示永不过期。角色和范围不能超过您自己的。",
      submit: "创建", all: "显示我管辖范围内所有人的令牌", cName: "名称", cOwner: "所有者",
      cRole: "角色", cScope: "范围", cCreated: "创建时间", cExpires: "过期时间", cUsed: "最近使用",
      cState: "状态", cActions: "操作", never: "永不", active: "有效", revoked: "已吊销",
      expired: "已过期", revoke: "吊销", none: "暂无令牌",
      confirmRevoke: (n) => `确定吊销令牌 ${n} 吗？使用它的系统将立即无法访问。`,
      once: (n) => `令牌 ${n} 已创建。请立即复制保存——它只显示这一次，之后无法再查看：`,
      doneRevoke: (n) => `已吊销令牌 ${n}。`,
    },
    en: {
      title: "API tokens", create: "New token", list: "Tokens", name: "Name (what uses it)",
      role: "Role", scope: "Scope (site path)", days: "Valid for (days)",
      hint: "Empty: never expires. Role and scope cannot exceed your own.", submit: "Create",
      all: "Show everyone's tokens in my scope", cName: "Name", cOwner: "Owner", cRole: "Role",
      cScope: "Scope", cCreated: "Created", cExpires: "Expires", cUsed: "Last used",
      cState: "State", cActions: "Actions", never: "never", active: "active",
      revoked: "revoked", expired: "expired", revoke: "Revoke", none: "no tokens",
      confirmRevoke: (n) => `Revoke token ${n}? Whatever uses it loses access at once.`,
      once: (n) => `Token ${n} created. Copy it now — it is shown only this once:`,
      doneRevoke: (n) => `Token ${n} revoked.`,
    },
  }[people.LANG];

  const $ = (id) => document.getElementById(id);

  function feedback(error, notice) {
    $("error").textContent = error || "";
    $("notice").textContent = notice || "";
  }

  function state(t) {
    if (t.revoked_at) return T.revoked;
    if (t.expires_at && new Date(t.expires_at) <= new Date()) return T.expired;
    return T.active;
  }

  async function revoke(t) {
    if (!confirm(T.confirmRevoke(t.name))) return;
    feedback();
    try {
      await kf.api(`/api/v1/tokens/${encodeURIComponent(t.id)}`, { method: "DELETE" });
      feedback("", T.doneRevoke(t.name));
      await load();
    } catch (e) { feedback(e.message); }
  }

  async function load() {
    const all = $("all").checked ? "?all=true" : "";
    const tokens = await kf.api("/api/v1/tokens" + all);
    const rows = tokens.map((t) => el("tr", { "data-token": t.id },
      el("td", {}, t.name), el("td", {}, t.owner), el("td", {}, ROLES[t.role] || t.role),
      el("td", {}, t.scope), el("td", {}, time(t.created_at)),
      el("td", {}, t.expires_at ? time(t.expires_at) : T.never), el("td", {}, time(t.last_used_at)),
      el("td", {}, state(t)),
      el("td", {}, t.revoked_at ? "" : el("button", { type: "button", "data-action": "revoke", onclick: () => revoke(t) }, T.revoke))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "9", class: "muted" }, T.none)));
    $("tokens").querySelector("tbody").replaceChildren(...rows);
  }

  async function onCreate(ev) {
    ev.preventDefault();
    feedback();
    $("secret").hidden = true;
    const body = { name: $("t-name").value.trim(), role: $("t-role").value, scope: $("t-scope").value.trim() };
    if ($("t-days").value) body.expires_in_days = Number($("t-days").value);
    try {
      const r = await kf.api("/api/v1/tokens", { method: "POST", body });
      people.showOnce($("secret"), T.once(r.token.name), r.secret);
      $("t-name").value = "";
      await load();
    } catch (e) { feedback(e.message); }
  }

  function label() {
    document.title = "kfleet " + T.title;
    const words = {
      title: "title", "h-create": "create", "h-list": "list", "l-name": "name", "l-role": "role",
      "l-scope": "scope", "l-days": "days", "hint-days": "hint", "create-submit": "submit",
      "l-all": "all", "c-name": "cName", "c-owner": "cOwner", "c-role": "cRole",
      "c-scope": "cScope", "c-created": "cCreated", "c-expires": "cExpires", "c-used": "cUsed",
      "c-state": "cState", "c-actions": "cActions",
    };
    for (const [id, key] of Object.entries(words)) $(id).textContent = T[key];
  }

  async function main() {
    label();
    const me = await kf.start();
    people.roleOptions($("t-role"), null, me.role);
    $("t-scope").value = me.scope;
    if ((me.permissions || []).includes("users.manage")) $("all-label").hidden = false;
    $("all").addEventListener("change", () => load().catch((e) => feedback(e.message)));
    $("create-form").addEventListener("submit", onCreate);
    await load();
  }

  main().catch((e) => feedback(e.message));
})();
