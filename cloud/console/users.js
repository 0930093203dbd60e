// kfleet users & roles page (users.manage): list the people in my scope, create one with a
// role and a scope, disable/enable, unlock, reset a password. A generated password is shown
// once, with a copy button. zh-CN by default, English with ?lang=en.
"use strict";

(() => {
  const { el, time, ROLES } = people;
  const T = {
    "zh-CN": {
      title: "用户与角色", create: "新建用户", list: "用户列表", username: "用户名", display: "姓名",
      role: "角色", scope: "管辖范围（站点路径）", password: "初始密码",
      hint: "留空则自动生成强密码（只显示一次）；用户首次登录时需修改。", submit: "创建",
      cUser: "用户名", cName: "姓名", cRole: "角色", cScope: "管辖范围", cState: "状态",
      cLast: "最近登录", cActions: "操作",
      active: "正常", disabled: "已停用", locked: (t) => `已锁定至 ${t}`,
      disable: "停用", enable: "启用", unlock: "解锁", reset: "重置密码",
      confirmReset: (u) => `确定为 ${u} 重置密码吗？其当前登录将失效。`,
      confirmDisable: (u) => `确定停用 ${u} 吗？其登录和 API 令牌将立即失效。`,
      created: (u) => `已创建用户 ${u}。`,
      onceCreated: (u) => `${u} 的初始密码（只显示这一次，请立即转交本人；首次登录需修改）：`,
      onceReset: (u) => `${u} 的新密码（只显示这一次，请立即转交本人；登录后需修改）：`,
      doneDisable: (u) => `已停用 ${u}。`, doneEnable: (u) => `已启用 ${u}。`,
      doneUnlock: (u) => `已解锁 ${u}。`, doneRole: (u, r) => `${u} 的角色已改为${r}。`,
    },
    en: {
      title: "Users & roles", create: "New user", list: "Users", username: "Username",
      display: "Name", role: "Role", scope: "Scope (site path)", password: "Initial password",
      hint: "Leave empty to generate a strong one (shown once); they change it at first sign-in.",
      submit: "Create", cUser: "Username", cName: "Name", cRole: "Role", cScope: "Scope",
      cState: "State", cLast: "Last sign-in", cActions: "Actions",
      active: "active", disabled: "disabled", locked: (t) => `locked until ${t}`,
      disable: "Disable", enable: "Enable", unlock: "Unlock", reset: "Reset password",
      confirmReset: (u) => `Reset the password of ${u}? Their sessions end.`,
      confirmDisable: (u) => `Disable ${u}? Their sessions and API tokens stop working at once.`,
      created: (u) => `User ${u} created.`,
      onceCreated: (u) => `Initial password of ${u} (shown only now: hand it over; they change it at first sign-in):`,
      onceReset: (u) => `New password of ${u} (shown only now: hand it over; they change it at sign-in):`,
      doneDisable: (u) => `${u} disabled.`, doneEnable: (u) => `${u} enabled.`,
      doneUnlock: (u) => `${u} unlocked.`, doneRole: (u, r) => `${u} is now ${r}.`,
    },
  }[people.LANG];

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  function feedback(error, notice) {
    $("error").textContent = error || "";
    $("notice").textContent = notice || "";
  }

  function stateCell(u) {
    if (u.disabled) return el("td", { class: "state-disabled" }, T.disabled);
    if (u.locked_until) return el("td", { class: "state-locked" }, T.locked(time(u.locked_until)));
    return el("td", {}, T.active);
  }

  async function act(u, action, done) {
    feedback();
    try {
      const r = await kf.api(`/api/v1/users/${enc(u.username)}/${action}`, { method: "POST" });
      if (action === "reset-password") {
        people.showOnce($("issued"), T.onceReset(u.username), r.password);
      } else {
        feedback("", done(u.username));
      }
      await load();
    } catch (e) { feedback(e.message); }
  }

  // The role, changeable in place (the API refuses a role stronger than mine, in words).
  function roleCell(u) {
    const select = el("select", { "aria-label": T.cRole + " " + u.username, "data-role": u.username });
    people.roleOptions(select, null, u.role);
    select.addEventListener("change", async () => {
      feedback();
      try {
        await kf.api(`/api/v1/users/${enc(u.username)}`, { method: "PATCH", body: { role: select.value } });
        feedback("", T.doneRole(u.username, ROLES[select.value]));
      } catch (e) { feedback(e.message); }
      await load().catch((e) => feedback(e.message));
    });
    return el("td", {}, select);
  }

  function actions(u) {
    const cell = el("td");
    const button = (label, fn) => cell.append(el("button", { type: "button", "data-action": label, onclick: fn }, T[label]));
    if (u.disabled) button("enable", () => act(u, "enable", T.doneEnable));
    else button("disable", () => { if (confirm(T.confirmDisable(u.username))) act(u, "disable", T.doneDisable); });
    if (u.locked_until) button("unlock", () => act(u, "unlock", T.doneUnlock));
    button("reset", () => { if (confirm(T.confirmReset(u.username))) act(u, "reset-password"); });
    return cell;
  }

  async function load() {
    const users = await kf.api("/api/v1/users");
    const rows = users.map((u) => el("tr", { "data-user": u.username },
      el("td", {}, u.username), el("td", {}, u.display_name), roleCell(u),
      el("td", {}, u.scope), stateCell(u), el("td", {}, time(u.last_login_at)), actions(u)));
    $("users").querySelector("tbody").replaceChildren(...rows);
  }

  async function onCreate(ev) {
    ev.preventDefault();
    feedback();
    $("issued").hidden = true;
    const body = {
      username: $("new-username").value.trim(), display_name: $("new-display").value,
      role: $("new-role").value, scope: $("new-scope").value.trim(),
    };
    if ($("new-password").value) body.password = $("new-password").value;
    try {
      const r = await kf.api("/api/v1/users", { method: "POST", body });
      feedback("", T.created(r.user.username));
      if (r.password) people.showOnce($("issued"), T.onceCreated(r.user.username), r.password);
      $("create-form").reset();
      $("new-scope").value = body.scope;
      await load();
    } catch (e) { feedback(e.message); }
  }

  function label() {
    document.title = "kfleet " + T.title;
    const words = {
      title: "title", "h-create": "create", "h-list": "list", "l-username": "username",
      "l-display": "display", "l-role": "role", "l-scope": "scope", "l-password": "password",
      "hint-password": "hint", "create-submit": "submit", "c-user": "cUser", "c-name": "cName",
      "c-role": "cRole", "c-scope": "cScope", "c-state": "cState", "c-last": "cLast",
      "c-actions": "cActions",
    };
    for (const [id, key] of Object.entries(words)) $(id).textContent = T[key];
  }

  async function main() {
    label();
    const me = await kf.start();
    people.roleOptions($("new-role"), null, "window_staff");
    $("new-scope").value = me.scope;
    $("create-form").addEventListener("submit", onCreate);
    try { await load(); } catch (e) { feedback(e.message); }
  }

  main().catch((e) => feedback(e.message));
})();
