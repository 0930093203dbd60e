// kfleet console login: username + password → session cookie, then back to ?next=.
// Every refusal is shown in words: wrong username or password (never which), account locked
// and until when, account disabled. A password set by an administrator must be changed here
// before going on. zh-CN by default, English with ?lang=en. No shell.js: this page is public.
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const LANG = params.get("lang") === "en" ? "en" : "zh-CN";
  const T = {
    "zh-CN": {
      title: "kfleet 设备运维控制台", username: "用户名", password: "密码", submit: "登录",
      bad_login: "用户名或密码错误。请检查两者（以及输入法和大小写）后重试；多次失败后账户会被暂时锁定。",
      account_locked: (until) => `该账户因连续登录失败已被锁定，至 ${until} 自动解锁。请届时再试，或请管理员提前解锁。`,
      user_disabled: "该账户已被停用，请联系管理员。",
      unreachable: "无法连接服务，请检查网络后重试。",
      mustChange: "管理员为您设置了临时密码，请先设置新密码（至少 10 个字符，不能与用户名相同）。",
      newPw: "新密码", newPw2: "再次输入", change: "修改密码并继续",
      mismatch: "两次输入的新密码不一致。",
      weak_password: "新密码不符合要求：至少 10 个字符，且不能与用户名相同。",
      same_password: "新密码不能与当前密码相同。",
      other: "English", otherHref: "?lang=en",
    },
    en: {
      title: "kfleet operations console", username: "Username", password: "Password",
      submit: "Sign in",
      bad_login: "The username or the password is wrong. Check both (and the keyboard layout) and try again; after repeated failures the account is locked for a while.",
      account_locked: (until) => `This account is locked after too many failed sign-ins until ${until}. Try again then, or ask an administrator to unlock it.`,
      user_disabled: "This account is disabled; ask an administrator.",
      unreachable: "Cannot reach the service; check the network and try again.",
      mustChange: "An administrator set a temporary password: choose a new one first (at least 10 characters, not your username).",
      newPw: "New password", newPw2: "Repeat it", change: "Change password and continue",
      mismatch: "The two new passwords differ.",
      weak_password: "The new password is not acceptable: at least 10 characters, not the username.",
      same_password: "The new password must differ from the current one.",
      other: "中文", otherHref: "?lang=zh-CN",
    },
  }[LANG];

  const $ = (id) => document.getElementById(id);
  const pad = (n) => String(n).padStart(2, "0");
  function formatTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // Only a path of this site: never send a signed-in person to another origin.
  function nextPage() {
    const next = params.get("next") || "/";
    return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
  }

  function say(text) { $("login-error").textContent = text; }

  function explain(status, body) {
    const code = body && body.code;
    if (code === "account_locked") return T.account_locked(formatTime(body.until));
    if (code && typeof T[code] === "string") return T[code];
    return (body && body.message) || `${status}`;
  }

  async function post(path, data, csrf) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const r = await fetch(path, {
      method: "POST", headers, body: JSON.stringify(data), credentials: "same-origin",
    });
    const body = r.status === 204 ? null : await r.json().catch(() => null);
    return { ok: r.ok, status: r.status, body };
  }

  let current = null; // {password, csrf} after a login that must change its password

  async function onLogin(ev) {
    ev.preventDefault();
    say("");
    $("login-submit").disabled = true;
    const password = $("password").value;
    try {
      const r = await post("/api/v1/auth/login", { username: $("username").value, password });
      if (!r.ok) { say(explain(r.status, r.body)); return; }
      if (r.body.must_change_password) {
        current = { password, csrf: r.body.csrf };
        $("login-form").hidden = true;
        $("change-form").hidden = false;
        $("new-password").focus();
        return;
      }
      location.assign(nextPage());
    } catch (e) {
      say(T.unreachable);
    } finally {
      $("login-submit").disabled = false;
    }
  }

  async function onChange(ev) {
    ev.preventDefault();
    say("");
    const pw = $("new-password").value;
    if (pw !== $("new-password2").value) { say(T.mismatch); return; }
    try {
      const r = await post(
        "/api/v1/auth/password", { old_password: current.password, new_password: pw }, current.csrf,
      );
      if (!r.ok) { say(explain(r.status, r.body)); return; }
      location.assign(nextPage());
    } catch (e) {
      say(T.unreachable);
    }
  }

  document.title = T.title;
  $("title").textContent = T.title;
  $("l-username").textContent = T.username;
  $("l-password").textContent = T.password;
  $("login-submit").textContent = T.submit;
  $("change-why").textContent = T.mustChange;
  $("l-new").textContent = T.newPw;
  $("l-new2").textContent = T.newPw2;
  $("change-submit").textContent = T.change;
  const other = $("other-lang");
  other.textContent = T.other;
  const keep = new URLSearchParams(location.search);
  keep.set("lang", LANG === "en" ? "zh-CN" : "en");
  other.href = "?" + keep.toString();
  $("login-form").addEventListener("submit", onLogin);
  $("change-form").addEventListener("submit", onChange);
})();
