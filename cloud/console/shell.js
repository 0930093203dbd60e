// kfleet console shell, loaded first by every console page: the signed-in person in the header,
// the navigation their role allows, and kf.api() — fetch with the session's CSRF token that
// sends a signed-out browser to /login?next=<this page>. Labels zh-CN, English with ?lang=en.
"use strict";

const kf = (() => {
  const LANG = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh-CN";
  const NAV = [
    // [path, permission needed (null: any signed-in person), zh-CN, en]
    ["/", "devices.read", "设备", "Devices"],
    ["/overview", "devices.read", "概览", "Overview"],
    ["/jobs", "jobs.read", "任务", "Jobs"],
    ["/alerts", "devices.read", "告警", "Alerts"],
    ["/notifications", "devices.read", "通知记录", "Notifications"],
    ["/enrollment", "devices.enroll", "设备注册", "Enrollment"],
    ["/users", "users.manage", "用户与角色", "Users & roles"],
    ["/tokens", null, "API 令牌", "API tokens"],
    ["/audit", "audit.read", "审计日志", "Audit log"],
    ["/availability", "devices.read", "可用率", "Availability"],
    ["/hall/content", "hall.read", "大厅内容", "Hall content"],
    ["/hall/queues", "hall.read", "排队监控", "Queue monitor"],
    ["/hall/ratings", "hall.read", "好差评", "Ratings"],
    ["/appointments", "hall.read", "预约日历", "Appointments"],
    ["/guide", "hall.read", "办事指南", "Service guide"],
    ["/kiosk/stats", "hall.read", "便民查询统计", "Query usage"],
    ["/reconciliation", "audit.read", "支付对账", "Reconciliation"],
    ["/forms", "hall.read", "电子表单", "E-forms"],
    ["/payments", "hall.read", "缴费订单", "Payments"],
    ["/print-audit", "audit.read", "打印复印审计", "Print audit"],
    ["/live", "media.view", "实时画面", "Live"],
    ["/help", "help.answer", "视频帮办", "Video help"],
    ["/help/history", "help.answer", "通话记录", "Call history"],
    ["/rollouts", "fleet.upgrade", "升级发布", "Agent rollouts"],
  ];
  const WORDS = {
    "zh-CN": { logout: "退出登录", signedIn: "当前用户" },
    en: { logout: "Sign out", signedIn: "Signed in as" },
  };

  function cookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }

  function toLogin() {
    const next = location.pathname + location.search;
    location.assign("/login?next=" + encodeURIComponent(next) + (LANG === "en" ? "&lang=en" : ""));
  }

  // fetch JSON (or a Response with raw: true); a 401 goes to the login page, any other error
  // throws an Error whose message is the API's own sentence (what, why, what to do).
  async function api(path, opts = {}) {
    const headers = { Accept: "application/json", ...(opts.headers || {}) };
    const method = (opts.method || "GET").toUpperCase();
    if (!["GET", "HEAD", "OPTIONS"].includes(method)) headers["X-CSRF-Token"] = cookie("kfleet_csrf");
    let body = opts.body;
    if (body !== undefined && typeof body !== "string" && !(body instanceof Blob) &&
        !(body instanceof FormData)) {  // FormData: the browser sets the multipart type
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const r = await fetch(path, { method, headers, body, credentials: "same-origin" });
    if (r.status === 401 && !opts.noRedirect) { toLogin(); throw new Error("signed out"); }
    if (opts.raw) return r;
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const err = new Error((data && data.message) || r.status + " " + r.statusText);
      err.status = r.status; err.code = data && data.code; err.body = data;
      throw err;
    }
    return data;
  }

  function link(path) { return LANG === "en" ? path + "?lang=en" : path; }

  // "2026-12-06 12:34:56" in the browser's time zone, whatever the language; "" for no time.
  const pad = (n) => String(n).padStart(2, "0");
  function dated(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return "";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // Fill <nav id="kf-nav"> and <span id="kf-user"> from /api/v1/auth/me; resolves to `me`.
  async function start() {
    const me = await api("/api/v1/auth/me");
    const nav = document.getElementById("kf-nav");
    if (nav) {
      nav.replaceChildren();
      for (const [path, perm, zh, en] of NAV) {
        if (perm && !(me.permissions || []).includes(perm)) continue;
        const a = document.createElement("a");
        a.href = link(path);
        a.textContent = LANG === "en" ? en : zh;
        if (location.pathname === path) a.setAttribute("aria-current", "page");
        nav.append(a, " · ");
      }
      const other = document.createElement("a");
      other.href = "?lang=" + (LANG === "en" ? "zh-CN" : "en");
      other.textContent = LANG === "en" ? "中文" : "English";
      nav.append(other);
    }
    const who = document.getElementById("kf-user");
    if (who) {
      const out = document.createElement("button");
      out.type = "button";
      out.id = "kf-logout";
      out.textContent = WORDS[LANG].logout;
      out.addEventListener("click", async () => {
        await api("/api/v1/auth/logout", { method: "POST", noRedirect: true }).catch(() => null);
        toLogin();
      });
      who.replaceChildren(WORDS[LANG].signedIn + " " + me.username + " (" + me.role + ") ", out);
    }
    return me;
  }

  return { LANG, api, start, cookie, toLogin, link, dated };
})();
