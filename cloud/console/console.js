// kfleet console: renders the site tree with devices, peripheral health and recent jobs.
// Polls the REST API every 2 s; labels in zh-CN, English with ?lang=en.
"use strict";

const LANG = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh-CN";
const T = {
  "zh-CN": {
    title: "kfleet 设备运维控制台", online: "在线", offline: "离线", updated: "已更新",
    error: "无法连接服务", noDevices: "暂无设备", peripherals: "外设", jobs: "最近任务",
    noJobs: "暂无任务", lastSeen: "最后上报",
    province: "省", prefecture: "州/市", city: "县/市", town: "乡镇/街道", village: "村/社区",
    ok: "正常", degraded: "降级", unknown: "未知",
    queued: "排队", dispatched: "已下发", accepted: "已接收", running: "执行中",
    succeeded: "成功", failed: "失败", canceled: "已取消", expired: "已过期", uncertain: "待确认",
  },
  en: {
    title: "kfleet operations console", online: "online", offline: "offline", updated: "updated",
    error: "cannot reach the service", noDevices: "no devices", peripherals: "Peripherals",
    jobs: "Recent jobs", noJobs: "no jobs", lastSeen: "last seen",
    province: "province", prefecture: "prefecture", city: "city", town: "town/street",
    village: "village/community", ok: "ok", degraded: "degraded", unknown: "unknown",
    queued: "queued", dispatched: "dispatched", accepted: "accepted", running: "running",
    succeeded: "succeeded", failed: "failed", canceled: "canceled", expired: "expired",
    uncertain: "uncertain",
  },
}[LANG];
const t = (key) => T[key] ?? key;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const badge = (state) => el("span", { class: `badge ${state}` }, t(state));

function deviceCard(device, jobs) {
  const state = device.online ? "online" : "offline";
  const card = el("article", { class: `device ${state}`, "data-device": device.id },
    el("h3", {}, `${device.name || device.id} `, badge(state)),
    el("div", { class: "muted" }, `${device.id} · ${device.role}` +
      (device.last_seen ? ` · ${t("lastSeen")} ${new Date(device.last_seen).toLocaleTimeString(LANG, { hour12: false })}` : "")));
  const per = el("ul", {});
  for (const p of device.peripherals) {
    per.append(el("li", {}, `${p.kind} (${p.id}) `, badge(p.health), p.reason ? ` ${p.reason}` : ""));
  }
  card.append(el("div", {}, t("peripherals")), per);
  const list = el("ul", {});
  for (const j of jobs.slice(0, 5)) {
    list.append(el("li", { "data-job": j.id }, `${j.kind} `, badge(j.state),
      ` ${new Date(j.created_at).toLocaleTimeString(LANG, { hour12: false })}`, j.reason ? ` (${j.reason})` : ""));
  }
  if (!jobs.length) list.append(el("li", { class: "muted" }, t("noJobs")));
  card.append(el("div", {}, t("jobs")), list);
  return card;
}

function siteNode(site, devicesBySite, jobsByDevice) {
  const node = el("div", { class: "site", "data-site": site.path },
    el("div", { class: "name" }, site.name, el("span", { class: "level" }, `${t(site.level)} · ${site.path}`)));
  const devices = devicesBySite.get(site.path) ?? [];
  if (devices.length) {
    const box = el("div", { class: "devices" });
    for (const d of devices) box.append(deviceCard(d, jobsByDevice.get(d.id) ?? []));
    node.append(box);
  }
  for (const child of site.children) node.append(siteNode(child, devicesBySite, jobsByDevice));
  return node;
}

async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [sites, devices, jobs] = await Promise.all([
      getJson("/api/v1/sites"), getJson("/api/v1/devices"), getJson("/api/v1/jobs?limit=200"),
    ]);
    const devicesBySite = new Map();
    for (const d of devices) {
      if (!devicesBySite.has(d.site)) devicesBySite.set(d.site, []);
      devicesBySite.get(d.site).push(d);
    }
    const jobsByDevice = new Map();
    for (const j of jobs.items) {
      const id = j.device_id ?? j.target.device_id;
      if (!id) continue;
      if (!jobsByDevice.has(id)) jobsByDevice.set(id, []);
      jobsByDevice.get(id).push(j);
    }
    const tree = document.getElementById("tree");
    tree.replaceChildren(...sites.map((s) => siteNode(s, devicesBySite, jobsByDevice)));
    if (!devices.length) tree.append(el("p", { class: "muted" }, t("noDevices")));
    status.textContent = `${t("updated")} ${new Date().toLocaleTimeString(LANG, { hour12: false })}`;
  } catch (err) {
    status.textContent = `${t("error")}: ${err.message}`;
  }
}

document.title = t("title");
document.querySelector("[data-i18n=title]").textContent = t("title");
refresh();
setInterval(refresh, 2000);
